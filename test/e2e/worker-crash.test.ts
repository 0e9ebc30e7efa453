// A backup host dies mid-copy: its worker is SIGKILLed while backy2 runs, and
// the orphaned backy2 is left hanging (SIGSTOP) as a crashed host would leave
// it. A fresh worker must finish the same workflow: one valid version, data
// identical, no leaked snapshot, the orphan stopped rather than racing the retry.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { processStartTicks } from '../../activities/exec/orphans.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { createDisk, exportToFile, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { backy2, config, POOL, sha256File, uniqueVmId } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';
import { waitForChildPid } from '../support/run-files.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const HOST = 'backup1';
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-crash-'));
const cleanup: Array<() => Promise<unknown>> = [];

after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

test('a worker killed while backy2 runs: a fresh worker finishes the backup, data verifies, nothing leaks', { timeout: 600_000 }, async () => {
  const vm = uniqueVmId('crash');
  const image = await createDisk(vm, 1024 * MiB);
  cleanup.push(() => removeDisk(image));
  const client: Client = await connectClient();
  cleanup.push(() => client.connection.close());

  const victim: WorkerProcess = await startWorker(HOST);
  cleanup.push(() => victim.stop('SIGKILL'));
  const handle = await client.workflow.start('backupInstance', {
    taskQueue: hostTaskQueue(config.temporal.task_queue, HOST),
    workflowId: `test-crash/${vm}`,
    args: [{ vmId: vm, pool: POOL, host: HOST }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: vm, host: HOST }),
  });

  // The activity records backy2's pid while it runs; wait for it to be copying.
  const orphan = await waitForChildPid(HOST, `backup.${POOL}.${image}@`);
  await sleep(1500);
  assert.ok(processStartTicks(orphan), 'backy2 is still running when the host dies');
  process.kill(orphan, 'SIGSTOP'); // hung, holding its half-made version
  await victim.stop('SIGKILL');
  cleanup.push(async () => process.kill(orphan, 'SIGKILL'));

  const rescuer = await startWorker(HOST);
  cleanup.push(() => rescuer.stop());
  const killedAt = Date.now();
  const result = (await handle.result()) as BackupResult;
  console.log(`# recovered ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the worker was killed`);

  assert.equal(processStartTicks(orphan), undefined, 'the orphaned backy2 was stopped');
  const history = await handle.fetchHistory();
  const copies = history.events!.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes] : [])).filter((a) => a.attempt! > 1);
  assert.equal(copies.length, 1, 'exactly one activity was retried: the copy the dead worker held');
  assert.equal(copies[0]!.attempt, 2);
  assert.equal(
    copies[0]!.lastFailure?.timeoutFailureInfo?.timeoutType,
    4, // TIMEOUT_TYPE_HEARTBEAT: noticed by the missing heartbeat, not after the 24 h start-to-close
  );
  assert.notEqual(copies[0]!.identity, `${HOST}@${victim.child.pid}`, 'the retry ran on the fresh worker');

  const rows = (await backy2(HOST, '-m', 'ls', image)).split('\n').filter((l) => l.startsWith('version|'));
  assert.equal(rows.length, 1, `exactly one version of ${image}, no half-made one: ${rows.join('\n')}`);
  assert.ok(rows[0]!.includes(`|${result.versionUid}|1|`), 'and it is the valid version the workflow returned');
  assert.deepEqual(await snapshotNames(image), [result.plan.snapshot], 'no leaked snapshot');

  const snapFile = join(tmp, 'snap.img');
  const restored = join(tmp, 'restored.img');
  await exportToFile(`${image}@${result.plan.snapshot}`, snapFile);
  await backy2(HOST, 'restore', result.versionUid!, `file://${restored}`);
  assert.equal(await sha256File(restored), await sha256File(snapFile), 'restore is byte-identical to the snapshot');
});
