// A private backup host whose backy2 store holds many nights of versions made
// in seconds: real `backy2 backup` runs of a small disk, each then dated to its
// night in backy2's own metadata. For tests of what a purge keeps and removes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';
import { config, ROOT } from './stack.ts';

export interface BackdatedStore {
  /** The private backup host's name (a config of it goes to `configFile`). */
  host: string;
  dir: string;
  storeCfg: string;
  configFile: string;
  /** A statement on the store's metadata DB (backy2 2.9's SQLite). */
  sqlite(sql: string): Promise<{ stdout: string }>;
  /** A disk's version uids, oldest first. */
  uidsOf(name: string): Promise<string[]>;
  /** A real backup of `source` (`pool/image@snapshot`) recorded as version `name` with `tags`, dated `at`; returns its uid. */
  backupAt(source: string, name: string, at: Date, tags: string[]): Promise<string>;
}

/** The paths and helpers of the store `<name>-<pid>` (made by makePrivateStore, under .stack/test). */
export function backdatedStore(name: string): BackdatedStore {
  const dir = `${ROOT}.stack/test/${name}-${process.pid}`;
  const storeCfg = join(dir, 'backy.cfg');
  const db = join(dir, 'backy.sqlite');
  const sqlite = (sql: string) => execa('sqlite3', ['-cmd', '.timeout 10000', db, sql]);
  return {
    host: `${name}-${process.pid}`,
    dir,
    storeCfg,
    configFile: join(dir, 'config.yaml'),
    sqlite,
    async uidsOf(disk) {
      return (await sqlite(`SELECT uid FROM versions WHERE name = '${disk}' ORDER BY date`)).stdout.split('\n').filter(Boolean);
    },
    async backupAt(source, version, at, tags) {
      const snapshot = source.slice(source.indexOf('@') + 1);
      const args = ['-c', storeCfg, 'backup', '-s', snapshot, ...tags.flatMap((t) => ['-t', t]), `rbd://${source}`, version];
      const { stdout } = await execa(config.engine.bin, args);
      const uid = /New version: ([0-9a-f-]{36})/.exec(stdout)?.[1];
      assert.ok(uid, `backy2 backup printed no uid:\n${stdout}`);
      await sqlite(`UPDATE versions SET date = '${at.toISOString().slice(0, 19).replace('T', ' ')}' WHERE uid = '${uid}'`);
      return uid;
    },
  };
}
