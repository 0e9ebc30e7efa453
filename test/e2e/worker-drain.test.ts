// A worker stopped as systemd stops it (SIGTERM) in the middle of a backup, on
// the real stack. Without a drain, the running copy is cancelled at once:
// backy2 is stopped, the half-made version removed, and the next worker
// completes the backup. With `--drain-seconds` (the unit gives 60), a running
// step is let finish before the worker exits, and is not run again.
// The first case caught a worker killed outright by SIGTERM while backy2 ran
// (execa's signal-exit re-raising the signal: see holdStopSignals in workers/drain.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { processStartTicks } from '../../activities/exec/orphans.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { useHoldPoints } from '../support/hold-points.ts';
import { backy2, config, POOL, uniqueVmId, versionRows } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const HOST = 'backup1';
/** Big enough that backy2 is still copying when the hold point parks it. */
const SIZE = 64 * MiB;
const holds = useHoldPoints();
const workers: WorkerProcess[] = [];
const started: WorkflowHandle[] = [];
const images: string[] = [];
let client: Client;

before(async () => {
  client = await connectClient();
});

after(async () => {
  for (const h of started) await h.terminate('test cleanup').catch(() => undefined);
  await stopAll();
  await client?.connection.close();
  for (const image of images) {
    for (const { uid } of await versionRows(HOST, image).catch(() => [])) await backy2(HOST, 'rm', '-f', uid).catch(() => undefined);
    await removeDisk(image);
  }
  holds.dispose();
});

async function stopAll(): Promise<void> {
  for (const w of workers.splice(0)) await w.stop();
}

async function worker(extraArgs: string[] = []): Promise<WorkerProcess> {
  const w = await startWorker(HOST, ['--log-level', 'INFO', ...extraArgs]);
  workers.push(w);
  return w;
}

async function startBackup(vm: string): Promise<WorkflowHandle> {
  const handle = await client.workflow.start('backupInstance', {
    taskQueue: hostTaskQueue(config.temporal.task_queue, HOST),
    workflowId: `test-drain/${vm}`,
    args: [{ vmId: vm, pool: POOL, host: HOST }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: vm, host: HOST }),
  });
  started.push(handle);
  return handle;
}

const jsonLines = (w: WorkerProcess) =>
  w
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Each run of an activity type in the history: its attempt and how it ended. */
async function attempts(handle: WorkflowHandle, activity: string) {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity).map((e) => String(e.eventId)));
  const of = (id: unknown) => scheduled.has(String(id));
  return {
    started: events.filter((e) => of(e.activityTaskStartedEventAttributes?.scheduledEventId)).map((e) => ({ attempt: e.activityTaskStartedEventAttributes!.attempt, identity: e.activityTaskStartedEventAttributes!.identity })),
    completed: events.filter((e) => of(e.activityTaskCompletedEventAttributes?.scheduledEventId)).length,
  };
}

test('SIGTERM with no drain: the copy is cancelled at once, backy2 stopped, the half-made version removed; the next worker completes the backup', { timeout: 300_000 }, async () => {
  const vm = uniqueVmId('drain0');
  const image = await createDisk(vm, SIZE);
  images.push(image);
  const first = await worker();
  holds.arm('backup.during-copy', image);
  const handle = await startBackup(vm);
  const held = await holds.held('backup.during-copy');
  assert.ok(held.child, 'backy2 is parked mid-copy');

  const t0 = Date.now();
  await first.stop('SIGTERM');
  const seconds = (Date.now() - t0) / 1000;
  assert.deepEqual([first.child.exitCode, first.child.signalCode], [0, null], 'it exited by itself, not killed by the signal');
  console.log(`# worker exited ${seconds.toFixed(1)} s after SIGTERM, its copy cancelled`);
  assert.ok(seconds < 60, `the worker took ${seconds} s to stop`);
  assert.equal(processStartTicks(held.child), undefined, 'backy2 did not outlive the worker');
  assert.deepEqual(await versionRows(HOST, image), [], 'the half-made version was removed');
  const lines = jsonLines(first);
  assert.ok(
    lines.some((l) => /cancelled; removing the half-made version/.test(String(l.message)) && l.disk === `${POOL}/${image}` && l.workflowId === handle.workflowId),
    'the cancellation is logged with its disk and workflow',
  );
  assert.ok(lines.some((l) => l.state === 'DRAINING') && lines.some((l) => /stopped/.test(String(l.message))), 'the drain and the stop are logged');

  await worker();
  const t1 = Date.now();
  const result = (await handle.result()) as BackupResult;
  console.log(`# the next worker completed the backup ${((Date.now() - t1) / 1000).toFixed(1)} s after it started`);
  const retried = await attempts(handle, 'finishBackup');
  // The cancelled attempt failed at once (no wait for a heartbeat timeout): the retry is attempt 2.
  assert.deepEqual(retried.started.map((s) => s.attempt), [2], 'the cancelled copy was retried once, on the next worker');
  assert.equal(result.plan.kind, 'full');
  assert.deepEqual((await versionRows(HOST, image)).map((r) => [r.uid, r.valid]), [[result.versionUid, true]], 'one valid version, made by the next worker');
  await stopAll(); // one worker per host: the next test starts its own
});

test('SIGTERM with --drain-seconds: the running step finishes before the worker exits, and is not run again', { timeout: 300_000 }, async () => {
  const vm = uniqueVmId('drain60');
  const image = await createDisk(vm, 16 * MiB);
  images.push(image);
  const draining = await worker(['--drain-seconds', '60']);
  holds.arm('backup.after-snapshot', image);
  const handle = await startBackup(vm);
  await holds.held('backup.after-snapshot');

  const stopped = draining.stop('SIGTERM');
  // The worker has stopped polling and waits for its running activity: only then let the step go on.
  const hostQueue = hostTaskQueue(config.temporal.task_queue, HOST);
  for (let i = 0; !jsonLines(draining).some((l) => l.state === 'DRAINING' && l.taskQueue === hostQueue); i++) {
    assert.ok(i < 300, 'the worker never logged that it drains');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(draining.child.exitCode, null, 'still running: it waits for prepareBackup');
  holds.release('backup.after-snapshot');
  await stopped;

  const prepare = await attempts(handle, 'prepareBackup');
  assert.deepEqual(prepare.started.map((s) => s.attempt), [1], 'prepareBackup ran once');
  assert.equal(prepare.completed, 1, 'and completed on the draining worker');
  assert.match(prepare.started[0]!.identity ?? '', new RegExp(`^${HOST}@${draining.child.pid}\\b`));

  await worker();
  const result = (await handle.result()) as BackupResult;
  assert.equal(result.plan.kind, 'full');
  assert.deepEqual((await versionRows(HOST, image)).map((r) => r.valid), [true]);
  await stopAll();
});
