// A copy of the local stack's config with a task queue of its own, so a test or
// benchmark run never shares tasks with the demo's long-running workers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { loadConfig, LOCAL_CONFIG } from '../../lib/config/load.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function writePrivateConfig(purpose: string): string {
  const { source: _source, ...local } = loadConfig(LOCAL_CONFIG);
  const dir = `${ROOT}.stack/${purpose}`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/config-${process.pid}.yaml`;
  writeFileSync(file, yaml.dump({ ...local, temporal: { ...local.temporal, task_queue: `vm${purpose}-${Date.now().toString(36)}` } }));
  return file;
}
