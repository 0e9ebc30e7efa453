// A backy2 store of a test's own: the local stack's backy2 config of backup1
// with every path moved under `dir` (the data folder to `dataDir` when given,
// e.g. a small filesystem the test mounted), and its metadata DB made by the
// real `backy2 initdb`. Versions made there are the test's alone.
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { backy2Setting } from '../../activities/engine/backy2-config.ts';
import { sqliteMetaPath } from '../../activities/engine/backy2-sqlite-meta.ts';
import { config } from './stack.ts';

/** Makes the store and returns its backy2 config file. */
export async function makePrivateStore(dir: string, options: { dataDir?: string } = {}): Promise<string> {
  // The file names its folder by its real path (.stack may be a symlink).
  const stackCfg = realpathSync(config.hosts[0]!.backy2_config);
  const stackDir = dirname(stackCfg);
  const dataDir = options.dataDir ?? join(dir, 'data');
  for (const sub of [join(dir, 'lock'), join(dir, 'nbd-cache'), dataDir]) mkdirSync(sub, { recursive: true });
  const file = join(dir, 'backy.cfg');
  writeFileSync(file, readFileSync(stackCfg, 'utf8').replaceAll(`${stackDir}/data`, dataDir).replaceAll(stackDir, dir));
  // Never initdb (or later write) the stack's own store by a path that was not replaced.
  if (sqliteMetaPath(file) !== join(dir, 'backy.sqlite') || backy2Setting(file, 'DataBackend', 'path') !== dataDir) {
    throw new Error(`${file}: the stack's backy2 paths (${stackDir}) were not all moved to ${dir}`);
  }
  await execa(config.engine.bin, ['-c', file, 'initdb']);
  return file;
}
