// "The next backup of this disk is full": a file per disk in the host's state
// folder, written when a check confirmed a stored version bad, removed by the
// next full backup of that disk. backy2 itself would make an incremental on
// top of any version still valid; after a bad block nothing of that disk's
// chain is trusted until it has been read whole again.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageName } from '../../lib/naming.ts';

export interface NeedsFull {
  /** The version found bad, and why. */
  uid: string;
  reason: string;
  /** ISO 8601; a full backup that started later clears the mark. */
  markedAt: string;
}

const fileOf = (dir: string, image: string) => join(dir, 'needs-full', `${ImageName.parse(image)}.json`);

export function markNeedsFull(dir: string, image: string, mark: NeedsFull): void {
  const file = fileOf(dir, image);
  mkdirSync(join(dir, 'needs-full'), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(mark));
  renameSync(`${file}.tmp`, file);
}

export function needsFull(dir: string, image: string): NeedsFull | undefined {
  try {
    return JSON.parse(readFileSync(fileOf(dir, image), 'utf8')) as NeedsFull;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** After a full backup that started at `startedAt`: a mark made before it is done with. */
export function clearNeedsFull(dir: string, image: string, startedAt: Date): void {
  const mark = needsFull(dir, image);
  if (mark && Date.parse(mark.markedAt) <= startedAt.getTime()) rmSync(fileOf(dir, image), { force: true });
}

/** Why the next backup is full, in the words of the backup's plan. */
export function needsFullReason(mark: NeedsFull): string {
  return `a check on ${mark.markedAt.slice(0, 10)} found version ${mark.uid} bad (${mark.reason}): reading the whole disk again`;
}
