// Test disks with real data in the real cluster (see scripts/support/rbd-data.ts).
import { BLOCK, MiB, RbdData } from '../../scripts/support/rbd-data.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backy2, CEPH_CONF, POOL, rbd, sha256File } from './stack.ts';

export { BLOCK, MiB };

const data = new RbdData(CEPH_CONF, POOL);

/** Creates `<vm>_disk` of `size` bytes, the first `fill` bytes random; returns the image name. */
export async function createDisk(vmId: string, size: number, fill = size): Promise<string> {
  const image = `${vmId}_disk`;
  await data.createRandom(image, size, fill);
  return image;
}

export const changeBlocks = (image: string, size: number, count: number, length = MiB) => data.changeBlocks(image, size, count, length);
export const removeDisk = (image: string) => data.remove(image);

export async function exportToFile(spec: string, path: string): Promise<void> {
  await rbd('export', '--no-progress', `${POOL}/${spec}`, path);
}

export async function snapshotNames(image: string): Promise<string[]> {
  const snaps = JSON.parse(await rbd('snap', 'ls', '--format', 'json', `${POOL}/${image}`)) as Array<{ name: string }>;
  return snaps.map((s) => s.name);
}

/** sha256 of an image's (or `image@snap`'s) bytes, exported through a temporary file. */
export async function imageHash(spec: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vmbackup-hash-'));
  try {
    const file = join(dir, 'image.img');
    await exportToFile(spec, file);
    return await sha256File(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** sha256 of backy2's restore of `uid` (to a file) and of the export of `image@snapshot` it was made from: equal when byte-identical. */
export async function restoreAndSnapshotHashes(host: string, image: string, snapshot: string, uid: string): Promise<{ restored: string; snapshot: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vmbackup-verify-'));
  try {
    const restored = join(dir, 'restored.img');
    await backy2(host, 'restore', uid, `file://${restored}`);
    return { restored: await sha256File(restored), snapshot: await imageHash(`${image}@${snapshot}`) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
