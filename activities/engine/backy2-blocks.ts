// A read-only check of one backy2 version's stored blocks: each block's blob
// in the file data backend is read and hashed, and compared with the size and
// checksum the metadata holds for it. Nothing is written, unlike `backy2
// scrub`, which marks a block (and every version sharing it) invalid on its
// first bad read; verifyBackups reads twice here before it lets backy2 make a
// failure official.
//
// Layout of backy2 2.9's file backend (backy2/data_backends/file.py):
// `<path>/<uid[0:2]>/<uid[2:4]>/<uid>.blob`, the block's bytes as they are
// (no compression, no encryption); the checksum is `hash_function` of them, hex.
import { createHash, getHashes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../lib/errors.ts';
import { VersionUid } from '../../lib/naming.ts';
import { runCommand } from '../exec/run-command.ts';
import { backy2Setting } from './backy2-config.ts';
import { sqliteMetaPath } from './backy2-sqlite-meta.ts';

export interface StoredBlock {
  id: number;
  /** The blob's uid; null for a sparse (all-zero, not stored) block. */
  uid: string | null;
  checksum: string | null;
  size: number;
}

export type BlockProblem = 'missing' | 'wrong size' | 'checksum mismatch';

export interface BadBlock {
  id: number;
  blob: string;
  problem: BlockProblem;
}

export interface VersionCheck {
  bad: BadBlock[];
  /** Bytes read from the store (blobs already judged in this checker are not read again). */
  bytesRead: number;
}

const BLOB_UID = /^[A-Za-z0-9]{1,64}$/;
/** Blobs read at once: enough to keep a disk busy, few enough for 2 cores. */
const PARALLEL = 4;

export class Backy2BlockStore {
  readonly dataPath: string;
  readonly hash: string;
  private readonly db: string;
  /** blob uid → problem (or null: sound), for this checker's life: a blob shared by many versions is read once. */
  private readonly judged = new Map<string, BlockProblem | null>();

  constructor(configFile: string) {
    const type = backy2Setting(configFile, 'DataBackend', 'type');
    const path = backy2Setting(configFile, 'DataBackend', 'path');
    const db = sqliteMetaPath(configFile);
    if (type !== 'backy2.data_backends.file' || !path || !db) {
      throw new ConfigError(
        `backy2 config ${configFile}: verify reads the file data backend and SQLite metadata directly (found ${type ?? 'no'} data backend, ${db ? 'SQLite' : 'other'} metadata)`,
        'Use backy2.data_backends.file with sqlite metadata, or leave hosts[].schedule.verify unset for this host.',
      );
    }
    const hash = (backy2Setting(configFile, 'DEFAULTS', 'hash_function') ?? 'sha512').toLowerCase();
    if (!getHashes().includes(hash)) throw new ConfigError(`backy2 config ${configFile}: hash_function ${hash} is not one Node can compute`, 'Use sha512 (backy2\'s default).');
    this.dataPath = path;
    this.hash = hash;
    this.db = db;
  }

  /** The blob file of a block. */
  blobFile(blob: string): string {
    if (!BLOB_UID.test(blob)) throw new Error(`not a backy2 blob uid: ${JSON.stringify(blob)}`);
    return join(this.dataPath, blob.slice(0, 2), blob.slice(2, 4), `${blob}.blob`);
  }

  /** The version's blocks, in order, from the metadata (read-only). */
  async blocks(uid: string): Promise<StoredBlock[]> {
    const { stdout } = await runCommand('sqlite3', [
      '-readonly',
      '-json',
      '-cmd',
      '.timeout 10000',
      this.db,
      `SELECT id, uid, checksum, size FROM blocks WHERE version_uid = '${VersionUid.parse(uid)}' ORDER BY id`,
    ]);
    return stdout.trim() ? (JSON.parse(stdout) as StoredBlock[]) : [];
  }

  /** Reads and judges one block's blob now, whatever was judged before. */
  async readBlock(block: StoredBlock): Promise<BlockProblem | null> {
    let data: Buffer;
    try {
      data = await readFile(this.blobFile(block.uid!));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw err;
    }
    if (data.length !== block.size) return 'wrong size';
    return createHash(this.hash).update(data).digest('hex') === block.checksum ? null : 'checksum mismatch';
  }

  /** First read of a version: every stored block judged, blobs judged earlier by this checker taken as they were. */
  async check(blocks: StoredBlock[], onProgress?: (done: number) => void, cancelSignal?: AbortSignal): Promise<VersionCheck> {
    const bad: BadBlock[] = [];
    let bytesRead = 0;
    let next = 0;
    let done = 0;
    const stored = blocks.filter((b) => b.uid !== null);
    const lane = async () => {
      while (next < stored.length) {
        cancelSignal?.throwIfAborted(); // a cancelled activity stops reading at the next block
        const block = stored[next++]!;
        let problem = this.judged.get(block.uid!);
        if (problem === undefined) {
          problem = await this.readBlock(block);
          this.judged.set(block.uid!, problem);
          bytesRead += block.size;
        }
        if (problem) bad.push({ id: block.id, blob: block.uid!, problem });
        onProgress?.(++done);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
    return { bad: bad.sort((a, b) => a.id - b.id), bytesRead };
  }

  /** Second read of the blocks the first found bad: those that are bad again (the same way). */
  async recheck(blocks: StoredBlock[], bad: BadBlock[]): Promise<BadBlock[]> {
    const agreed: BadBlock[] = [];
    for (const b of bad) {
      const block = blocks.find((x) => x.id === b.id)!;
      const again = await this.readBlock(block);
      this.judged.set(b.blob, again);
      if (again === b.problem) agreed.push(b);
    }
    return agreed;
  }
}

/** "block 3: checksum mismatch" for the first few bad blocks. */
export function describeBadBlocks(bad: BadBlock[]): string {
  const shown = bad.slice(0, 3).map((b) => `block ${b.id}: ${b.problem}`);
  return `${shown.join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}`;
}
