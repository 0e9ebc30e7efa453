// A backy2 store of one's own: a stack host's backy2 config with every path
// moved under `dir` (the data folder to `dataDir` when given), and its metadata
// DB made by the real `backy2 initdb`. Versions made there, and their stats, are
// the caller's alone (a test, a bench that reads the store's stats).
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { backy2Setting } from '../../activities/engine/backy2-config.ts';
import { sqliteMetaPath } from '../../activities/engine/backy2-sqlite-meta.ts';

/** Makes the store from the stack's `stackConfigFile` and returns its backy2 config file. */
export async function makeStoreLike(stackConfigFile: string, backy2Bin: string, dir: string, options: { dataDir?: string } = {}): Promise<string> {
  // The file names its folder by its real path (.stack may be a symlink).
  const stackCfg = realpathSync(stackConfigFile);
  const stackDir = dirname(stackCfg);
  const dataDir = options.dataDir ?? join(dir, 'data');
  for (const sub of [join(dir, 'lock'), join(dir, 'nbd-cache'), dataDir]) mkdirSync(sub, { recursive: true });
  const file = join(dir, 'backy.cfg');
  writeFileSync(file, readFileSync(stackCfg, 'utf8').replaceAll(`${stackDir}/data`, dataDir).replaceAll(stackDir, dir));
  // Never initdb (or later write) the stack's own store by a path that was not replaced.
  if (sqliteMetaPath(file) !== join(dir, 'backy.sqlite') || backy2Setting(file, 'DataBackend', 'path') !== dataDir) {
    throw new Error(`${file}: the stack's backy2 paths (${stackDir}) were not all moved to ${dir}`);
  }
  await execa(backy2Bin, ['-c', file, 'initdb']);
  return file;
}
