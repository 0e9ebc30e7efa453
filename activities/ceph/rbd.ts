// The `rbd` CLI, one method per command this project needs. Callers pass names
// already checked by lib/naming.ts; each method re-checks the ones it builds
// into a spec, so an argv never carries anything but a plain name.
import { z } from 'zod';
import { ImageName, PoolName, SnapshotName } from '../../lib/naming.ts';
import { CommandError } from '../../lib/errors.ts';
import { type RunOptions, runCommand } from '../exec/run-command.ts';
import { streamBlocks } from '../exec/stream-blocks.ts';

/** Keys and values this project writes into `rbd image-meta`: plain words and workflow ids, never an option. */
const MetaKey = z.string().regex(/^vmbackup\.[a-z-]+$/);
const MetaValue = z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9_.:\/-]*$/);

export interface RbdSnapshot {
  name: string;
  protected: boolean;
  sizeBytes: number;
  timestamp?: string;
}

export interface DiffExtent {
  offset: number;
  length: number;
  exists: boolean;
}

export interface RbdOptions {
  conf: string;
  bin: string;
  id?: string | undefined;
  log?: RunOptions['log'];
}

export class Rbd {
  constructor(private readonly options: RbdOptions) {}

  /** The argv prefix every call shares. */
  private base(): string[] {
    return ['--conf', this.options.conf, ...(this.options.id ? ['--id', this.options.id] : [])];
  }

  private run(args: string[], extra: RunOptions = {}) {
    return runCommand(this.options.bin, [...this.base(), ...args], { log: this.options.log, ...extra });
  }

  static spec(pool: string, image: string, snapshot?: string): string {
    PoolName.parse(pool);
    ImageName.parse(image);
    if (snapshot !== undefined) SnapshotName.parse(snapshot);
    return snapshot === undefined ? `${pool}/${image}` : `${pool}/${image}@${snapshot}`;
  }

  async listImages(pool: string): Promise<string[]> {
    const { stdout } = await this.run(['ls', '--format', 'json', PoolName.parse(pool)]);
    return JSON.parse(stdout || '[]') as string[];
  }

  /** Every snapshot of every image of the pool, in one call (`rbd ls -l`). */
  async listPoolSnapshots(pool: string): Promise<Array<{ image: string; snapshot: string }>> {
    const { stdout } = await this.run(['ls', '-l', '--format', 'json', PoolName.parse(pool)]);
    const raw = JSON.parse(stdout || '[]') as Array<{ image: string; snapshot?: string }>;
    return raw.filter((e): e is { image: string; snapshot: string } => typeof e.snapshot === 'string').map((e) => ({ image: e.image, snapshot: e.snapshot }));
  }

  /** Every image of the pool and its size in bytes, in one call (`rbd ls -l`): snapshots left out. */
  async listImageSizes(pool: string): Promise<Map<string, number>> {
    const { stdout } = await this.run(['ls', '-l', '--format', 'json', PoolName.parse(pool)]);
    const raw = JSON.parse(stdout || '[]') as Array<{ image: string; snapshot?: string; size: number }>;
    return new Map(raw.filter((e) => e.snapshot === undefined).map((e) => [e.image, Number(e.size)]));
  }

  /** Size of the image in bytes, or undefined when it does not exist. */
  async imageSize(pool: string, image: string): Promise<number | undefined> {
    try {
      const { stdout } = await this.run(['info', '--format', 'json', Rbd.spec(pool, image)]);
      return (JSON.parse(stdout) as { size: number }).size;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async listSnapshots(pool: string, image: string): Promise<RbdSnapshot[]> {
    const { stdout } = await this.run(['snap', 'ls', '--format', 'json', Rbd.spec(pool, image)]);
    const raw = JSON.parse(stdout || '[]') as Array<{ name: string; protected: string; size: number; timestamp?: string }>;
    return raw.map((s) => ({ name: s.name, protected: s.protected === 'true', sizeBytes: s.size, timestamp: s.timestamp }));
  }

  async createSnapshot(pool: string, image: string, snapshot: string): Promise<void> {
    await this.run(['snap', 'create', '--no-progress', Rbd.spec(pool, image, snapshot)]);
  }

  async removeSnapshot(pool: string, image: string, snapshot: string): Promise<void> {
    await this.run(['snap', 'rm', '--no-progress', Rbd.spec(pool, image, snapshot)]);
  }

  async protectSnapshot(pool: string, image: string, snapshot: string): Promise<void> {
    await this.run(['snap', 'protect', Rbd.spec(pool, image, snapshot)]);
  }

  /** Removes every snapshot of an image, unprotecting protected ones first. */
  async purgeSnapshots(pool: string, image: string): Promise<void> {
    for (const snap of await this.listSnapshots(pool, image)) {
      if (snap.protected) await this.run(['snap', 'unprotect', Rbd.spec(pool, image, snap.name)]);
    }
    await this.run(['snap', 'purge', '--no-progress', Rbd.spec(pool, image)]);
  }

  /** Clients that have the image open (a running VM is one). */
  async watchers(pool: string, image: string): Promise<string[]> {
    const { stdout } = await this.run(['status', '--format', 'json', Rbd.spec(pool, image)]);
    const parsed = JSON.parse(stdout || '{}') as { watchers?: Array<{ address: string }> };
    return (parsed.watchers ?? []).map((w) => w.address);
  }

  /** Renames an image (with its snapshots), within its pool. */
  async rename(pool: string, from: string, to: string): Promise<void> {
    await this.run(['rename', Rbd.spec(pool, from), Rbd.spec(pool, to)]);
  }

  /** Removes an image that has no snapshots; `runOptions` carries a cancel signal (a big image takes a while). */
  async removeImage(pool: string, image: string, runOptions: RunOptions = {}): Promise<void> {
    await this.run(['rm', '--no-progress', Rbd.spec(pool, image)], runOptions);
  }

  /** The image's metadata (`rbd image-meta`): key → value. It moves with the image on a rename. */
  async imageMeta(pool: string, image: string): Promise<Record<string, string>> {
    const { stdout } = await this.run(['image-meta', 'list', '--format', 'json', Rbd.spec(pool, image)]);
    return JSON.parse(stdout || '{}') as Record<string, string>;
  }

  async setImageMeta(pool: string, image: string, key: string, value: string): Promise<void> {
    await this.run(['image-meta', 'set', Rbd.spec(pool, image), MetaKey.parse(key), MetaValue.parse(value)]);
  }

  /** Idempotent: a key that is not there is fine. */
  async removeImageMeta(pool: string, image: string, key: string): Promise<void> {
    try {
      await this.run(['image-meta', 'remove', Rbd.spec(pool, image), MetaKey.parse(key)]);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * The bytes of an image (or of its snapshot) in `blockSize` pieces, in order,
   * through `rbd export … -`: read-only, never more than a piece in memory.
   */
  async readBlocks(spec: { pool: string; image: string; snapshot?: string | undefined }, blockSize: number, onBlock: (index: number, data: Buffer) => void, cancelSignal?: AbortSignal): Promise<void> {
    const args = [...this.base(), 'export', '--no-progress', Rbd.spec(spec.pool, spec.image, spec.snapshot), '-'];
    this.options.log?.(`$ ${this.options.bin} ${args.join(' ')}`);
    await streamBlocks(this.options.bin, args, blockSize, onBlock, cancelSignal);
  }

  /**
   * Changed extents of `snapshot` since `fromSnapshot` (all allocated extents
   * when omitted), as the one-line JSON that backy2 takes as hints.
   */
  async diffJson(pool: string, image: string, snapshot: string, fromSnapshot?: string, runOptions: RunOptions = {}): Promise<string> {
    const from = fromSnapshot === undefined ? ['--whole-object'] : ['--from-snap', SnapshotName.parse(fromSnapshot)];
    const { stdout } = await this.run(['diff', ...from, '--format', 'json', Rbd.spec(pool, image, snapshot)], runOptions);
    return stdout.trim() || '[]';
  }
}

export function parseDiff(json: string): DiffExtent[] {
  const raw = JSON.parse(json) as Array<{ offset: number; length: number; exists: string | boolean }>;
  return raw.map((e) => ({ offset: e.offset, length: e.length, exists: e.exists === true || e.exists === 'true' }));
}

export function isNotFound(err: unknown): boolean {
  return err instanceof CommandError && /\(2\) No such file or directory/.test(err.stderrTail);
}

export function isProtected(err: unknown): boolean {
  return err instanceof CommandError && /is protected/.test(err.stderrTail);
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof CommandError && /\(17\) File exists/.test(err.stderrTail);
}
