// backy2 2.9 checks a diff-based backup by re-reading a sample of the blocks
// the hints leave out (`random.sample(ignore_blocks, 5)` in Backy.backup) and
// dies with "Sample larger than population" when fewer than 5 are left out: a
// small disk, or one that changed almost everywhere. Such a backup must go
// without hints (the whole disk is read, which for so few blocks is cheap).
import { readFileSync } from 'node:fs';
import { parseDiff } from '../ceph/rbd.ts';

export const BACKY2_SANITY_SAMPLE = 5;

/** Blocks of a `sizeBytes` source that the hints neither mark as read nor as sparse, by backy2's own arithmetic. */
export function blocksOutsideHints(hints: ReadonlyArray<{ offset: number; length: number }>, sizeBytes: number, blockSize: number): number {
  const covered = new Set<number>();
  for (const { offset, length } of hints) {
    for (let b = Math.floor(offset / blockSize); b < Math.ceil((offset + length) / blockSize); b++) covered.add(b);
  }
  const total = Math.ceil(sizeBytes / blockSize);
  let outside = 0;
  for (let b = 0; b < total; b++) if (!covered.has(b)) outside++;
  return outside;
}

/** Whether backy2 can run its sanity check with these hints on top of a base version. */
export function hintsPassSanityCheck(hintsFile: string, sizeBytes: number, blockSize: number): boolean {
  return blocksOutsideHints(parseDiff(readFileSync(hintsFile, 'utf8')), sizeBytes, blockSize) >= BACKY2_SANITY_SAMPLE;
}

/** `block_size:` of a backy2 config file (backy2's default, 4 MiB, when it is not set). */
export function backy2BlockSize(configText: string): number {
  const m = /^\s*block_size\s*[:=]\s*(\d+)\s*$/m.exec(configText);
  return m ? Number(m[1]) : 4 * 1024 * 1024;
}
