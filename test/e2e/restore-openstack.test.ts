// An in-place restore through the `openstack` compute driver. OpenStack cannot
// run here, so it is faked at its HTTP boundary (test/support/fake-openstack.ts:
// Keystone, Nova, Cinder, Glance); the `openstack` CLI the workers run is real,
// and so are Temporal, Ceph and backy2.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { RestoreResult } from '../../lib/operations/restore.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { changeBlocks, createDisk, exportToFile, MiB, removeDisk } from '../support/disks.ts';
import { fakeServer, type FakeOpenstack } from '../support/fake-openstack.ts';
import { withFakeOpenstack } from '../support/openstack-stack.ts';
import { POOL, rbd, sha256File, uniqueVmId } from '../support/stack.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-os-'));
let fake: FakeOpenstack;
let cli: Awaited<ReturnType<typeof withFakeOpenstack>>['cli'];
let worker: WorkerProcess;
const vm = uniqueVmId('os');
const image = `${vm}_disk`;

before(async () => {
  let configFile: string;
  ({ fake, configFile, cli } = await withFakeOpenstack(tmp, { servers: [fakeServer({ id: vm, name: 'web-1' })] }));
  fake.powerDelayMs = 1500; // the restore must wait for SHUTOFF / ACTIVE, not just ask
  worker = await startWorker('backup1', configFile);
});

after(async () => {
  await worker?.stop();
  await fake?.stop();
  for (const i of (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(image))) await removeDisk(i);
  rmSync(tmp, { recursive: true, force: true });
});


test('the VM is stopped before the disk is replaced and started after; the disk is the chosen version', { timeout: 300_000 }, async () => {
  await createDisk(vm, 128 * MiB, 64 * MiB);
  const first = await cli<BackupResult>('backup', vm, '--wait');
  const snapFile = join(tmp, 'first.img');
  await exportToFile(`${image}@${first.plan.snapshot}`, snapFile);
  await changeBlocks(image, 128 * MiB, 4);
  await cli<BackupResult>('backup', vm, '--wait', '--again');

  fake.calls.length = 0;
  const r = await cli<RestoreResult>('restore', vm, '--version', first.versionUid!, '--yes');
  assert.equal(r.serverStopped, true);
  assert.equal(r.serverStarted, true);
  const actions = fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith(`/servers/${vm}/action`)).map((c) => JSON.stringify(c.body));
  assert.deepEqual(actions, ['{"os-stop":null}', '{"os-start":null}'], 'Nova saw one stop, then one start');
  assert.equal(fake.servers.get(vm)!.status, 'ACTIVE', 'the VM runs again');

  const restored = join(tmp, 'restored.img');
  await exportToFile(image, restored);
  assert.equal(await sha256File(restored), await sha256File(snapFile), 'byte-identical to the first day’s snapshot');
});
