// What verify keeps between runs in the host's state folder, each a small JSON
// file replaced whole (write, then rename): when each version was last
// scrubbed clean, when each disk last had its deep check, and a run's plan.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function readRecord<T>(file: string, empty: T): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty;
    throw err;
  }
}

export function writeRecord(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID()}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
}

/** uid → when last scrubbed clean. */
export const scrubRecordFile = (dir: string) => join(dir, 'scrubbed.json');
/** image → when its newest version was last compared with its snapshot. */
export const deepRecordFile = (dir: string) => join(dir, 'deep-checked.json');
/** image → when it was last drilled. */
export const drillRecordFile = (dir: string) => join(dir, 'drilled.json');

/** A run's plan file; run keys hold '/' and ':', a digest makes a plain name of any. */
export function planFile(dir: string, key: string): string {
  return join(dir, 'plans', `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
}

export const removeRecord = (file: string) => rmSync(file, { force: true });
