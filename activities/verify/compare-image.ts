// An RBD image (or snapshot) compared block by block with what the metadata
// says a version holds: each block's bytes hashed as `rbd export` streams them
// and checked against the stored block's checksum; a sparse block must be
// zeros. Read-only on both sides: neither the image nor the store changes.
import { createHash } from 'node:crypto';
import type { Rbd } from '../ceph/rbd.ts';
import type { StoredBlock } from '../engine/backy2-blocks.ts';

export interface ImageComparison {
  /** Block ids whose bytes differ (or that only one side has). */
  differing: number[];
  bytes: number;
}

export async function compareImageWithBlocks(
  rbd: Rbd,
  spec: { pool: string; image: string; snapshot?: string | undefined },
  blocks: StoredBlock[],
  opts: { blockSize: number; hash: string; cancelSignal?: AbortSignal; onProgress?: (bytes: number) => void },
): Promise<ImageComparison> {
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const seen = new Set<number>();
  const differing: number[] = [];
  let bytes = 0;
  await rbd.readBlocks(
    spec,
    opts.blockSize,
    (index, data) => {
      seen.add(index);
      bytes += data.length;
      const block = byId.get(index);
      const same =
        block !== undefined &&
        data.length === block.size &&
        (block.uid === null ? isZero(data) : createHash(opts.hash).update(data).digest('hex') === block.checksum);
      if (!same) differing.push(index);
      opts.onProgress?.(bytes);
    },
    opts.cancelSignal,
  );
  for (const b of blocks) if (!seen.has(b.id)) differing.push(b.id);
  return { differing: differing.sort((a, b) => a - b), bytes };
}

function isZero(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}
