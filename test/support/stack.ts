// The real local stack, as scripts/stack.sh left it: paths, the config, and
// thin helpers around the real `rbd` and `backy2` for assertions.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { loadConfig } from '../../lib/config/load.ts';
import { ROOT, writePrivateConfig } from '../../scripts/support/private-config.ts';

export { sha256File } from '../../scripts/support/file-hash.ts';

export { ROOT };

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

// Fail early, with what to do, when the stack is not up.
readStackEnv();
// Each test file runs in its own process, with its own task queue.
export const CONFIG_FILE = writePrivateConfig('test');
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

/** A disk's versions as an operator reads them, from `backy2 -m ls` (`version|date|name|snapshot_name|size|size_bytes|uid|valid|…`). */
export async function versionRows(host: string, image: string): Promise<Array<{ snapshot: string; uid: string; valid: boolean }>> {
  return (await backy2(host, '-m', 'ls', image))
    .split('\n')
    .filter((l) => l.startsWith('version|'))
    .map((l) => l.split('|'))
    .map((f) => ({ snapshot: f[3]!, uid: f[6]!, valid: f[7] === '1' }));
}

/** A VM id no earlier test run used (backy2's metadata outlives the Ceph cluster). */
export function uniqueVmId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}
