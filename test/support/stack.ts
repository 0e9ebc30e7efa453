// The real local stack, as scripts/stack.sh left it: paths, the config, and
// thin helpers around the real `rbd` and `backy2` for assertions.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { loadConfig, LOCAL_CONFIG } from '../../lib/config/load.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function readStackEnv(): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(`${ROOT}.stack/env`, 'utf8');
  } catch {
    throw new Error('the local stack is not up: run `npm run stack:up` (or `npm test`, which does) first');
  }
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

export const stackEnv = readStackEnv();
/**
 * The local stack's config with a task queue of this test run's own, so workers
 * left running by `npm run demo` never pick up a test's tasks (and the crash
 * test's kill hits the only worker that could hold the activity).
 */
function testConfigFile(): string {
  const { source: _source, ...local } = loadConfig(LOCAL_CONFIG);
  const file = `${ROOT}.stack/test/config-${process.pid}.yaml`;
  mkdirSync(`${ROOT}.stack/test`, { recursive: true });
  writeFileSync(file, yaml.dump({ ...local, temporal: { ...local.temporal, task_queue: `vmtest-${Date.now().toString(36)}` } }));
  return file;
}

export const CONFIG_FILE = process.env.VMBACKUP_TEST_CONFIG ?? (process.env.VMBACKUP_TEST_CONFIG = testConfigFile());
export const config = loadConfig(CONFIG_FILE);
export const CEPH_CONF = config.ceph.conf;
export const POOL = config.workloads.vms.pool;

/** Runs the real `rbd` against the local cluster. */
export async function rbd(...args: string[]): Promise<string> {
  const { stdout } = await execa('rbd', ['--conf', CEPH_CONF, ...args]);
  return stdout;
}

/** Runs the real backy2 with a backup host's config. */
export async function backy2(host: string, ...args: string[]): Promise<string> {
  const cfg = config.hosts.find((h) => h.name === host)!.backy2_config;
  const { stdout } = await execa(config.engine.bin, ['-c', cfg, ...args]);
  return stdout;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A VM id no earlier test run used (backy2's metadata outlives the Ceph cluster). */
export function uniqueVmId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}
