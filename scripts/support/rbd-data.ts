// Writes chosen bytes into an RBD image with the real `rbd import-diff`, fed a
// stream in rbd's diff format (v1) built here. The demo and the tests use it to
// fill disks with random data and to change exactly the extents they choose.
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

export const MiB = 1024 * 1024;
export const BLOCK = 4 * MiB;

export interface Extent {
  offset: number;
  data: Buffer;
}

function le64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** An `rbd diff v1` stream that writes `extents` into an image of `size` bytes. */
export function diffStream(size: number, extents: readonly Extent[]): Buffer {
  const parts: Buffer[] = [Buffer.from('rbd diff v1\n'), Buffer.from('s'), le64(size)];
  for (const e of extents) parts.push(Buffer.from('w'), le64(e.offset), le64(e.data.length), e.data);
  parts.push(Buffer.from('e'));
  return Buffer.concat(parts);
}

export class RbdData {
  constructor(
    private readonly cephConf: string,
    private readonly pool: string,
  ) {}

  async rbd(...args: string[]): Promise<string> {
    return (await execa('rbd', ['--conf', this.cephConf, ...args])).stdout;
  }

  async writeExtents(image: string, size: number, extents: readonly Extent[]): Promise<void> {
    await execa('rbd', ['--conf', this.cephConf, 'import-diff', '--no-progress', '-', `${this.pool}/${image}`], { input: diffStream(size, extents) });
  }

  /** Creates `image` of `size` bytes with its first `fill` bytes random, written 64 MiB at a time. */
  async createRandom(image: string, size: number, fill = size): Promise<void> {
    await this.rbd('create', '--size', `${size / MiB}M`, `${this.pool}/${image}`);
    for (let offset = 0; offset < fill; offset += 64 * MiB) {
      const extents: Extent[] = [];
      for (let o = offset; o < Math.min(offset + 64 * MiB, fill); o += BLOCK) {
        extents.push({ offset: o, data: randomBytes(Math.min(BLOCK, fill - o)) });
      }
      await this.writeExtents(image, size, extents);
    }
  }

  /** Overwrites `count` pieces of `length` bytes, each in a different 4 MiB block, spread over the disk; returns the bytes changed. */
  async changeBlocks(image: string, size: number, count: number, length = MiB): Promise<number> {
    const stride = Math.floor(size / BLOCK / count);
    // A piece smaller than a block sits inside it, off its start; a whole block is aligned.
    const inset = length < BLOCK ? Math.min(512 * 1024, BLOCK - length) : 0;
    const extents = Array.from({ length: count }, (_, i) => ({ offset: i * stride * BLOCK + inset, data: randomBytes(length) }));
    await this.writeExtents(image, size, extents);
    return count * length;
  }

  async exists(image: string): Promise<boolean> {
    const { exitCode } = await execa('rbd', ['--conf', this.cephConf, 'info', `${this.pool}/${image}`], { reject: false });
    return exitCode === 0;
  }

  async remove(image: string): Promise<void> {
    await execa('rbd', ['--conf', this.cephConf, 'snap', 'purge', '--no-progress', `${this.pool}/${image}`], { reject: false });
    await execa('rbd', ['--conf', this.cephConf, 'rm', '--no-progress', `${this.pool}/${image}`], { reject: false });
  }
}
