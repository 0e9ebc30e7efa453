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
import { RESCUE_MARK, type RescueResult } from '../../lib/operations/rescue.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { vmbackupWith } from '../support/cli.ts';
import { createDisk, exportToFile, MiB, removeDisk } from '../support/disks.ts';
import { fakeServer, type FakeOpenstack } from '../support/fake-openstack.ts';
import { withFakeOpenstack } from '../support/openstack-stack.ts';
import { config, POOL, rbd, sha256File, uniqueVmId } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-rescue-'));
const vm = uniqueVmId('lost');
let fake: FakeOpenstack;
let cli: Awaited<ReturnType<typeof withFakeOpenstack>>['cli'];
let worker: WorkerProcess;
let newId: string | undefined;
let configFile: string;
const extraDisks: string[] = [];

before(async () => {
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
  for (const i of all.filter((n) => n.startsWith(`${vm}_disk`) || (newId && n.startsWith(`${newId}_disk`)) || extraDisks.some((d) => n.startsWith(d)))) await removeDisk(i);
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
  const created = fake.servers.get(r.newVmId!)!;
  assert.match(created.metadata?.[RESCUE_MARK] ?? '', new RegExp(`^rescue/${vm}/`), 'the new server carries the mark of the rescue that made it');
  assert.deepEqual(
    { name: created.name, project: created.projectId, flavor: created.flavor, image: created.image, networks: Object.keys(created.networks) },
    { name: 'db-1', project: 'p-demo', flavor: 'f-small', image: 'i-cirros', networks: ['private'] },
  );
  assert.equal(created.status, 'ACTIVE', 'the rescued VM runs');
  const disk = join(tmp, 'disk.img');
  await exportToFile(`${r.newVmId!}_disk`, disk);
  assert.equal(await sha256File(disk), await sha256File(snapFile), 'its disk is byte-identical to the backup');
  assert.ok(r.notRestored.some((x) => x.includes('10.0.0.7')), 'the lost address is reported');
  assert.ok(r.notRestored.some((x) => x.includes('security groups: default, web')), 'the security groups are reported');
});

test('a same-name server the rescue did not make is never stopped, renamed or touched; a server the rescue marked is adopted', { timeout: 300_000 }, async () => {
  const lost = uniqueVmId('lost2');
  const other = uniqueVmId('other');
  extraDisks.push(`${lost}_disk`, `${other}_disk`);
  fake.servers.set(lost, fakeServer({ id: lost, name: 'web-2', projectId: 'p-demo' }));
  await createDisk(lost, 16 * MiB);
  const backup = await cli<BackupResult>('backup', lost, '--wait');
  fake.servers.delete(lost);
  await removeDisk(`${lost}_disk`);
  // Someone made a server of the same name in the same project before the rescue.
  fake.servers.set(other, fakeServer({ id: other, name: 'web-2', projectId: 'p-demo' }));
  await createDisk(other, 16 * MiB);
  const otherDisk = join(tmp, 'other.img');
  await exportToFile(`${other}_disk`, otherDisk);
  const otherHash = await sha256File(otherDisk);
  const otherBefore = structuredClone(fake.servers.get(other));

  // Off a terminal, without --yes: refused, nothing started. --dry-run shows the plan, creates nothing.
  const refused = await vmbackupWith(configFile, 'rescue', lost);
  assert.equal(refused.exitCode, 2, refused.stderr);
  const plan = await cli<RescueResult>('rescue', lost, '--dry-run');
  assert.equal(plan.dryRun, true);
  assert.match(plan.plan.join('\n'), /create server web-2 in project p-demo/);

  fake.calls.length = 0;
  const r = await vmbackupWith(configFile, '-o', 'json', 'rescue', lost, '--yes');
  assert.equal(r.exitCode, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`a server named web-2 already exists in project p-demo \\(${other}\\) and this rescue did not make it; it was not touched`));
  assert.deepEqual(fake.servers.get(other), otherBefore, 'the other server is unchanged (name, status, metadata)');
  assert.deepEqual(fake.calls.filter((c) => c.method !== 'GET' && c.path.includes(other)), [], 'no stop, start, rename or delete was sent for it');
  assert.equal([...fake.servers.values()].filter((s) => s.name === 'web-2').length, 1, 'no second web-2 was created');
  await exportToFile(`${other}_disk`, otherDisk + '.after');
  assert.equal(await sha256File(otherDisk + '.after'), otherHash, 'its disk is byte-identical');
  assert.deepEqual((await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(`${other}_disk.`)), [], 'its disk was never moved aside');

  // A retry of a rescue whose earlier attempt created the server (it carries this workflow's mark) adopts it.
  fake.servers.delete(other);
  const workflowId = `test-rescue-adopt/${lost}`;
  const mine = uniqueVmId('mine');
  extraDisks.push(`${mine}_disk`);
  fake.servers.set(mine, fakeServer({ id: mine, name: 'web-2', projectId: 'p-demo', metadata: { [RESCUE_MARK]: workflowId } }));
  const client = await connectClient();
  try {
    const adopted = (await client.workflow.execute('rescueInstance', {
      taskQueue: hostTaskQueue(config.temporal.task_queue, 'backup1'),
      workflowId,
      args: [{ vmId: lost, pool: POOL, host: 'backup1', versionUid: backup.versionUid!, snapshotName: backup.plan.snapshot, waitSeconds: 60 }],
    })) as RescueResult;
    assert.equal(adopted.newVmId, mine, 'the server this rescue marked is taken, not a new one');
    assert.equal([...fake.servers.values()].filter((s) => s.name === 'web-2').length, 1);
  } finally {
    await client.connection.close();
  }
});
