// The backup host's worker SIGKILLed at each step boundary of backupInstance and
// of restoreInstance in turn. Each case parks the step's activity at a hold point
// (activities/test-hooks.ts), kills that worker by its pid, starts a fresh one
// and awaits the workflow. Asserted as an operator would check it: the operation
// completes; the data restores byte-identical (backup cases: `backy2 restore` of
// the version equals the snapshot's export; restore cases: the disk equals the
// version and the VM runs again, stopped and started once); exactly the one
// snapshot the next night needs; one valid version per run and no half-made
// one; the history shows the killed activity retried (attempt 2, heartbeat
// timeout) on the fresh worker. At the copy points backy2 itself is left hung
// (stopped) as a dead worker leaves it, and the retry must stop it first.
//
// One disk, one VM (OpenStack faked at its HTTP boundary, as in
// restore-openstack): a plain full backup first, then each backup case an
// incremental on the one before, then each restore case rolls the changed disk
// back to that first version.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { processStartTicks } from '../../activities/exec/orphans.ts';
import type { HoldPoint } from '../../activities/test-hooks.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { ASIDE_META, type RestoreResult } from '../../lib/operations/restore.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { changeBlocks, createDisk, imageHash, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { fakeServer, type FakeOpenstack } from '../support/fake-openstack.ts';
import { type Held, useHoldPoints } from '../support/hold-points.ts';
import { withFakeOpenstack } from '../support/openstack-stack.ts';
import { backy2, config, POOL, rbd, sha256File, uniqueVmId, versionRows } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';

const HOST = 'backup1';
const SIZE = 256 * MiB;
/** TIMEOUT_TYPE_HEARTBEAT: the dead worker was noticed by its missing heartbeat, not a start-to-close timeout. */
const HEARTBEAT_TIMEOUT = 4;

const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-kill-'));
const holds = useHoldPoints();
const vm = uniqueVmId('kill');
const image = `${vm}_disk`;
const queue = hostTaskQueue(config.temporal.task_queue, HOST);
let fake: FakeOpenstack;
let configFile: string;
let client: Client;
let worker: WorkerProcess;
/** The version every restore case goes back to, and the sha256 of its snapshot. */
let first: { uid: string; hash: string };
/** Valid versions of the disk so far, oldest first. */
const versions: string[] = [];
const started: WorkflowHandle[] = [];
const hungCopies: number[] = [];

before(async () => {
  ({ fake, configFile } = await withFakeOpenstack(tmp, { servers: [fakeServer({ id: vm, name: 'kill-1' })] }));
  worker = await startWorker(HOST, configFile);
  client = await connectClient();
  await createDisk(vm, SIZE);
  const result = (await (await startBackup()).result()) as BackupResult;
  first = { uid: result.versionUid!, hash: await imageHash(`${image}@${result.plan.snapshot}`) };
  versions.push(first.uid);
});

after(async () => {
  for (const h of started) await h.terminate('test cleanup').catch(() => undefined);
  for (const pid of hungCopies) if (processStartTicks(pid)) process.kill(pid, 'SIGKILL');
  await worker?.stop();
  await client?.connection.close();
  await fake?.stop();
  for (const i of (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(image))) await removeDisk(i);
  holds.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

let runs = 0;
async function startBackup(): Promise<WorkflowHandle> {
  const handle = await client.workflow.start('backupInstance', {
    taskQueue: queue,
    workflowId: `test-kill/${vm}/backup-${++runs}`,
    args: [{ vmId: vm, pool: POOL, host: HOST }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: vm, host: HOST }),
  });
  started.push(handle);
  return handle;
}

async function startRestore(): Promise<WorkflowHandle> {
  const handle = await client.workflow.start('restoreInstance', {
    taskQueue: queue,
    workflowId: `test-kill/${vm}/restore-${++runs}`,
    args: [{ vmId: vm, pool: POOL, image, host: HOST, versionUid: first.uid, manageServer: true, waitSeconds: 60 }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'restore', vmId: vm, host: HOST }),
  });
  started.push(handle);
  return handle;
}

/** Starts the operation parked at `point`, SIGKILLs the worker parked there, starts a fresh one, and returns the result. */
async function killWorkerAt<T>(point: HoldPoint, key: string, start: () => Promise<WorkflowHandle>, whileParked?: (held: Held) => Promise<void>) {
  holds.arm(point, key);
  const handle = await start();
  const held = await holds.held(point);
  const victim = worker;
  assert.equal(held.pid, victim.child.pid, `the parked activity runs in the worker this test started`);
  if (held.child) hungCopies.push(held.child);
  await whileParked?.(held);
  await victim.stop('SIGKILL');
  const killedAt = Date.now();
  worker = await startWorker(HOST, configFile);
  const result = (await handle.result()) as T;
  console.log(`# ${point}: completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
  return { handle, held, result, fresh: worker };
}

/** Every activity the history shows retried: its type, attempt, why the last attempt ended, and who ran the retry. */
async function retriedActivities(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  const typeOf = new Map(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType?.name]));
  return events
    .flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes] : []))
    .filter((a) => (a.attempt ?? 1) > 1)
    .map((a) => ({
      activity: typeOf.get(String(a.scheduledEventId)),
      attempt: a.attempt,
      timeoutType: a.lastFailure?.timeoutFailureInfo?.timeoutType,
      worker: a.identity?.split(' ')[0],
    }));
}

async function assertRetriedOnFreshWorker(handle: WorkflowHandle, activity: string, fresh: WorkerProcess) {
  assert.deepEqual(
    await retriedActivities(handle),
    [{ activity, attempt: 2, timeoutType: HEARTBEAT_TIMEOUT, worker: `${HOST}@${fresh.child.pid}` }],
    `only ${activity} was retried, once, after its heartbeat timed out, on the fresh worker`,
  );
}

const storeRows = () => versionRows(HOST, image);

/** Linux process state (R, S, T for stopped, …). */
const processState = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0];

async function whileCopyHung(held: Held, snapshot: () => Promise<string | undefined>) {
  assert.ok(held.child, 'the hold point names the copying backy2');
  assert.equal(processState(held.child), 'T', 'backy2 is stopped mid-copy');
  const snap = await snapshot();
  if (snap !== undefined) {
    const half = (await storeRows()).filter((r) => r.snapshot === snap);
    assert.deepEqual(half.map((r) => r.valid), [false], 'a half-made (invalid) version exists while it is hung');
  }
}

const backupCases: Array<{ point: HoldPoint; step: string; activity: string }> = [
  { point: 'backup.after-snapshot', step: 'after the snapshot', activity: 'prepareBackup' },
  { point: 'backup.after-diff', step: 'after the diff', activity: 'prepareBackup' },
  { point: 'backup.during-copy', step: 'during the copy (backy2 left hung)', activity: 'finishBackup' },
];

for (const c of backupCases) {
  test(`backup: worker SIGKILLed ${c.step} (${c.point})`, { timeout: 300_000 }, async () => {
    await changeBlocks(image, SIZE, 6);
    const base = versions.at(-1)!;
    const ownSnapshots = async () => (await snapshotNames(image)).filter((s) => s.endsWith(`_${HOST}`));
    const { handle, held, result, fresh } = await killWorkerAt<BackupResult>(c.point, image, startBackup, async (h) => {
      if (h.child) await whileCopyHung(h, async () => (await ownSnapshots()).sort().at(-1));
    });

    assert.equal(result.plan.kind, 'incremental');
    assert.equal(result.plan.baseUid, base, 'on the version before, as if nothing had happened');
    if (held.child) assert.equal(processStartTicks(held.child), undefined, 'the hung backy2 was stopped by the retry');
    assert.deepEqual(await snapshotNames(image), [result.plan.snapshot], 'exactly the snapshot the next night needs');
    versions.push(result.versionUid!);
    const rows = await storeRows();
    assert.deepEqual(rows.map((r) => r.uid).sort(), [...versions].sort(), 'one version per run, no duplicate');
    assert.ok(rows.every((r) => r.valid), 'and no half-made one');

    const restored = join(tmp, 'restored.img');
    await backy2(HOST, 'restore', result.versionUid!, `file://${restored}`);
    assert.equal(await sha256File(restored), await imageHash(`${image}@${result.plan.snapshot}`), 'backy2 restore is byte-identical to the snapshot');
    rmSync(restored);
    await assertRetriedOnFreshWorker(handle, c.activity, fresh);
  });
}

const restoreCases: Array<{ point: HoldPoint; key: 'vm' | 'image'; step: string; activity: string }> = [
  { point: 'restore.after-stop', key: 'vm', step: 'after the VM stopped', activity: 'stopServer' },
  { point: 'restore.after-move-aside', key: 'image', step: 'after "moved aside"', activity: 'moveAside' },
  { point: 'restore.before-restore', key: 'image', step: 'between "moved aside" and the copy', activity: 'restoreVersion' },
  { point: 'restore.during-copy', key: 'image', step: 'during the copy (backy2 left hung)', activity: 'restoreVersion' },
  { point: 'restore.after-restore', key: 'image', step: 'after "restored"', activity: 'restoreVersion' },
  { point: 'restore.before-start', key: 'vm', step: 'before the VM is started', activity: 'startServer' },
];

for (const c of restoreCases) {
  test(`restore: worker SIGKILLed ${c.step} (${c.point})`, { timeout: 300_000 }, async () => {
    await changeBlocks(image, SIZE, 6);
    fake.servers.get(vm)!.status = 'ACTIVE'; // each case starts with the VM running, whatever the one before left
    const callsBefore = fake.calls.length;
    const { handle, held, result, fresh } = await killWorkerAt<RestoreResult>(c.point, c.key === 'vm' ? vm : image, startRestore, async (h) => {
      if (h.child) await whileCopyHung(h, async () => undefined);
    });

    assert.equal(result.serverStopped, true);
    assert.equal(result.serverStarted, true, 'the workflow says it started the VM');
    const actions = fake.calls
      .slice(callsBefore)
      .filter((call) => call.method === 'POST' && call.path.endsWith(`/servers/${vm}/action`))
      .map((call) => Object.keys(call.body as object)[0]);
    assert.deepEqual(actions, ['os-stop', 'os-start'], 'Nova saw one stop, then one start');
    assert.equal(fake.servers.get(vm)!.status, 'ACTIVE', 'the VM runs');
    if (held.child) assert.equal(processStartTicks(held.child), undefined, 'the hung backy2 restore was stopped by the retry');

    assert.equal(await imageHash(image), first.hash, 'the disk is byte-identical to the version');
    const images = (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(image));
    assert.deepEqual(images.sort(), [image, result.asideImage!].sort(), 'the disk and the one original kept aside; no half-restored copy');
    assert.deepEqual(await snapshotNames(image), [], 'the restored disk carries no snapshot');
    assert.ok(await rbd('image-meta', 'get', `${POOL}/${result.asideImage!}`, ASIDE_META.completed), 'the aside image is marked completed');
    const rows = await storeRows();
    assert.deepEqual(rows.map((r) => r.uid).sort(), [...versions].sort(), 'the store is unchanged');
    await assertRetriedOnFreshWorker(handle, c.activity, fresh);
    await removeDisk(result.asideImage!);
  });
}
