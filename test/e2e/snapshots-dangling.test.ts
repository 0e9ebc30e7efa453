// `vmbackup snapshots dangling|purge` on the real stack: a stray snapshot of
// this system (its backup never made a version) is reported and removed; the
// backup's own snapshot, someone else's snapshots and protected ones stay; a
// disk whose backup runs right now is left alone; --dry-run removes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { DanglingSnapshotsResult } from '../../lib/operations/dangling-snapshots.ts';
import { vmbackup, vmbackupJson } from '../support/cli.ts';
import { createDisk, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { POOL, rbd, uniqueVmId } from '../support/stack.ts';
import { startRunningOperation, type RunningOperation } from '../support/running-operation.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

type Report = { dryRun: boolean; plan?: string; hosts: DanglingSnapshotsResult[]; errors: Array<{ host: string; error: string }> };

const HOST = 'backup1';
const vm = uniqueVmId('dangle');
const busyVm = uniqueVmId('dangle-busy');
const stray = '2026-01-01T00:00:00_backup1'; // a backup that failed after its snapshot
const strayProtected = '2026-01-02T00:00:00_backup1';
const otherHost = '2026-01-03T00:00:00_backup2'; // backup2's: not looked at with --host backup1
const runbook = '2026-01-04T00:00:00'; // the 2020 runbook's, no host suffix: not ours
const manual = 'before-upgrade'; // an operator's
let worker: WorkerProcess;
let client: Client;
let image: string;
let busyImage: string;
let backupSnapshot: string;
let busy: RunningOperation;

before(async () => {
  worker = await startWorker(HOST);
  client = await connectClient();
  image = await createDisk(vm, 8 * MiB);
  busyImage = await createDisk(busyVm, 4 * MiB);
  const backup = await vmbackupJson<{ plan: { snapshot: string } }>('backup', vm, '--host', HOST, '--wait');
  backupSnapshot = backup.plan.snapshot;
  for (const snap of [stray, strayProtected, otherHost, runbook, manual]) await rbd('snap', 'create', `${POOL}/${image}@${snap}`);
  await rbd('snap', 'protect', `${POOL}/${image}@${strayProtected}`);
  await rbd('snap', 'create', `${POOL}/${busyImage}@${stray}`);
  // A backup of busyVm that is running right now.
  busy = await startRunningOperation(client, { operation: 'backup', workflowType: 'backupInstance', vmId: busyVm, host: HOST });
});

after(async () => {
  await busy?.end();
  await worker?.stop();
  await client?.connection.close();
  await rbd('snap', 'unprotect', `${POOL}/${image}@${strayProtected}`).catch(() => undefined);
  for (const i of [image, busyImage]) if (i) await removeDisk(i);
});

/** This test's disks' snapshots in a report, as `image@snapshot state removed`. */
const ours = (r: Report) =>
  r.hosts
    .flatMap((h) => h.snapshots)
    .filter((s) => s.image === image || s.image === busyImage)
    .map((s) => `${s.image}@${s.snapshot} ${s.state}${s.removed ? ' removed' : ''}`)
    .sort();

test('a stray snapshot of this system is reported and purged; others, protected and in-use ones stay; --dry-run removes nothing', async () => {
  const all = [backupSnapshot, stray, strayProtected, otherHost, runbook, manual].sort();

  const listed = await vmbackupJson<Report>('snapshots', 'dangling', '--host', HOST);
  assert.deepEqual(listed.errors, []);
  assert.deepEqual(ours(listed), [`${busyImage}@${stray} in-use`, `${image}@${stray} dangling`, `${image}@${strayProtected} protected`].sort());
  const inUse = listed.hosts[0]!.snapshots.find((s) => s.image === busyImage)!;
  assert.match(inUse.reason ?? '', new RegExp(busy.workflowId.replaceAll('/', '\\/')));

  const plan = await vmbackupJson<Report>('snapshots', 'purge', '--host', HOST, '--dry-run');
  assert.equal(plan.dryRun, true);
  assert.deepEqual(ours(plan), ours(listed), 'a dry run reports the same and removes nothing');
  assert.deepEqual((await snapshotNames(image)).sort(), all);
  assert.deepEqual(await snapshotNames(busyImage), [stray]);

  const table = await vmbackup('snapshots', 'purge', '--host', HOST, '--yes', '--plan', plan.plan!);
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`${image}\\s+${stray}\\s+removed`));
  assert.match(table.stdout, new RegExp(`${image}\\s+${strayProtected}\\s+kept: protected`));
  assert.match(table.stdout, new RegExp(`${busyImage}\\s+${stray}\\s+kept: in use`));

  assert.deepEqual((await snapshotNames(image)).sort(), all.filter((s) => s !== stray), 'only the stray snapshot went');
  assert.deepEqual(await snapshotNames(busyImage), [stray], 'the disk being backed up keeps its snapshot');

  const again = await vmbackupJson<Report>('snapshots', 'dangling', '--host', HOST);
  assert.deepEqual(ours(again), [`${busyImage}@${stray} in-use`, `${image}@${strayProtected} protected`].sort());
});

test('a host with no worker is named and the exit code is 1; an unknown host is refused with 2', async () => {
  const r = await vmbackup('snapshots', 'dangling', '--host', 'backup2');
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /host backup2 was not checked: no worker is polling/);
  const bad = await vmbackup('snapshots', 'purge', '--host', 'nosuchhost', '--dry-run');
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /no backup host 'nosuchhost'/);
});
