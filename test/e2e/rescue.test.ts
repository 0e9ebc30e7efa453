// Rescue of a VM deleted from OpenStack: a server with the recorded name,
// project, flavor, image and network is created, and its disk matches the
// backup. OpenStack is faked at its HTTP boundary (test/support/fake-openstack.ts);
// the `openstack` CLI, Temporal, Ceph and backy2 are real.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { RescueResult } from '../../lib/operations/rescue.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { createDisk, exportToFile, MiB, removeDisk } from '../support/disks.ts';
import { fakeServer, type FakeOpenstack } from '../support/fake-openstack.ts';
import { withFakeOpenstack } from '../support/openstack-stack.ts';
import { POOL, rbd, sha256File, uniqueVmId } from '../support/stack.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-rescue-'));
const vm = uniqueVmId('lost');
let fake: FakeOpenstack;
let cli: Awaited<ReturnType<typeof withFakeOpenstack>>['cli'];
let worker: WorkerProcess;
let newId: string | undefined;

before(async () => {
  let configFile: string;
  ({ fake, configFile, cli } = await withFakeOpenstack(tmp, {
    servers: [fakeServer({ id: vm, name: 'db-1', projectId: 'p-demo', networks: { private: ['10.0.0.7'] }, securityGroups: ['default', 'web'] })],
  }));
  fake.powerDelayMs = 200;
  worker = await startWorker('backup1', configFile);
});

after(async () => {
  await worker?.stop();
  await fake?.stop();
  const all = (await rbd('ls', POOL)).split('\n');
  for (const i of all.filter((n) => n.startsWith(`${vm}_disk`) || (newId && n.startsWith(`${newId}_disk`)))) await removeDisk(i);
  rmSync(tmp, { recursive: true, force: true });
});


test('a deleted VM is recreated with its recorded flavor, image and network, and its disk matches the backup', { timeout: 300_000 }, async () => {
  const image = await createDisk(vm, 64 * MiB, 32 * MiB);
  const backup = await cli<BackupResult>('backup', vm, '--wait');
  assert.equal(backup.serverRecorded, true, 'the backup recorded what the VM needs to come back');
  const snapFile = join(tmp, 'snap.img');
  await exportToFile(`${image}@${backup.plan.snapshot}`, snapFile);

  // `openstack server delete`: the server and its disk are gone.
  fake.servers.delete(vm);
  await removeDisk(image);

  const r = await cli<RescueResult>('rescue', vm, '--yes');
  newId = r.newVmId;
  assert.notEqual(r.newVmId, vm);
  const created = fake.servers.get(r.newVmId)!;
  assert.deepEqual(
    { name: created.name, project: created.projectId, flavor: created.flavor, image: created.image, networks: Object.keys(created.networks) },
    { name: 'db-1', project: 'p-demo', flavor: 'f-small', image: 'i-cirros', networks: ['private'] },
  );
  assert.equal(created.status, 'ACTIVE', 'the rescued VM runs');
  const disk = join(tmp, 'disk.img');
  await exportToFile(`${r.newVmId}_disk`, disk);
  assert.equal(await sha256File(disk), await sha256File(snapFile), 'its disk is byte-identical to the backup');
  assert.ok(r.notRestored.some((x) => x.includes('10.0.0.7')), 'the lost address is reported');
  assert.ok(r.notRestored.some((x) => x.includes('security groups: default, web')), 'the security groups are reported');
});
