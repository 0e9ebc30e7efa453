// The real stack plus a fake OpenStack at its HTTP boundary: a config whose
// compute driver is `openstack` pointed at the fake, and the CLI run with it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { vmbackupWith } from './cli.ts';
import { type FakeOpenstackSeed, startFakeOpenstack } from './fake-openstack.ts';
import { CONFIG_FILE } from './stack.ts';

/**
 * Starts the fake and writes, into `dir`, this test file's config with `compute.driver: openstack` pointed at it;
 * `extra` (top-level keys) is laid over it, e.g. an `openstack` inventory, assignments or schedules.
 */
export async function withFakeOpenstack(dir: string, seed: FakeOpenstackSeed, extra: (base: Record<string, unknown>) => Record<string, unknown> = () => ({})) {
  const fake = await startFakeOpenstack(seed);
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  const configFile = join(dir, 'config.yaml');
  const config = { ...base, compute: { driver: 'openstack', openstack_env: fake.env, wait_seconds: 60 } };
  writeFileSync(configFile, yaml.dump({ ...config, ...extra(config) }));
  /** `vmbackup -o json …` with that config; throws with its stderr unless it exits 0. */
  const cli = async <T>(...args: string[]): Promise<T> => {
    const r = await vmbackupWith(configFile, '-f', 'json', ...args);
    if (r.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  return { fake, configFile, cli };
}
