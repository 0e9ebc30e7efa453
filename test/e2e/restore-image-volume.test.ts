// Glance images and Cinder volumes: backed up like VM disks, restored in place.
// A lost Glance image comes back byte-identical with the protected snapshot
// `snap` Glance reads; a volume comes back byte-identical to the chosen version.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { RestoreResult } from '../../lib/operations/restore.ts';
import { BLOCK, MiB, RbdData } from '../../scripts/support/rbd-data.ts';
import { vmbackupJson } from '../support/cli.ts';
import { config, rbd, sha256File, uniqueVmId } from '../support/stack.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const SIZE = 64 * MiB;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-imgvol-'));
const imagesPool = config.workloads.images!.pool;
const volumesPool = config.workloads.volumes!.pool;
const images = new RbdData(config.ceph.conf, imagesPool);
const volumes = new RbdData(config.ceph.conf, volumesPool);
const made: Array<[RbdData, string]> = [];
let worker: WorkerProcess;

before(async () => {
  worker = await startWorker('backup1');
});
after(async () => {
  await worker?.stop();
  for (const [data, image] of made) {
    for (const name of (await data.rbd('ls', data === images ? imagesPool : volumesPool)).split('\n').filter((n) => n.startsWith(image))) {
      await data.rbd('snap', 'unprotect', `${data === images ? imagesPool : volumesPool}/${name}@snap`).catch(() => undefined);
      await data.remove(name);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

async function hashOf(pool: string, spec: string): Promise<string> {
  const file = join(tmp, `${Date.now()}.img`);
  await rbd('export', '--no-progress', `${pool}/${spec}`, file);
  const h = await sha256File(file);
  rmSync(file);
  return h;
}

test('a lost Glance image is restored byte-identical, with its protected `snap`', { timeout: 300_000 }, async () => {
  const id = uniqueVmId('img');
  await images.createRandom(id, SIZE, SIZE / 2);
  made.push([images, id]);
  await rbd('snap', 'create', `${imagesPool}/${id}@snap`);
  await rbd('snap', 'protect', `${imagesPool}/${id}@snap`);
  const backup = await vmbackupJson<BackupResult>('backup', id, '--workload', 'images', '--wait');
  const original = await hashOf(imagesPool, `${id}@snap`);

  // Lost: the way an operator's mistake would lose it.
  await rbd('snap', 'unprotect', `${imagesPool}/${id}@snap`);
  await images.remove(id);

  const r = await vmbackupJson<RestoreResult>('restore-image', id, '--yes');
  assert.equal(r.versionUid, backup.versionUid);
  assert.equal(await hashOf(imagesPool, id), original, 'the image is byte-identical');
  const snaps = JSON.parse(await rbd('snap', 'ls', '--format', 'json', `${imagesPool}/${id}`)) as Array<{ name: string; protected: string }>;
  assert.deepEqual(
    snaps.map((s) => [s.name, s.protected]),
    [['snap', 'true']],
    'Glance’s snapshot `snap` is there and protected',
  );
});

test('a Cinder volume is restored in place, byte-identical to the chosen version', { timeout: 300_000 }, async () => {
  const id = uniqueVmId('vol');
  const image = `volume-${id}`;
  await volumes.createRandom(image, SIZE, SIZE / 2);
  made.push([volumes, image]);
  const first = await vmbackupJson<BackupResult>('backup', id, '--workload', 'volumes', '--wait');
  const firstHash = await hashOf(volumesPool, `${image}@${first.plan.snapshot}`);
  await volumes.changeBlocks(image, SIZE, 3, BLOCK);
  await vmbackupJson<BackupResult>('backup', id, '--workload', 'volumes', '--wait', '--again');

  const r = await vmbackupJson<RestoreResult>('restore-volume', id, '--version', first.versionUid!, '--yes');
  assert.equal(await hashOf(volumesPool, image), firstHash, 'the volume is byte-identical to the first version');
  assert.ok(r.asideImage?.startsWith(`${image}.vmbackup-aside-`), 'the replaced volume is kept aside');
});
