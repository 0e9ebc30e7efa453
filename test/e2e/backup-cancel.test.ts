// Cancelling a backup while backy2 copies: the child is killed, its half-made
// version removed, and the next backup of the disk runs as if nothing happened.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { processStartTicks } from '../../activities/exec/orphans.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { vmbackupJson } from '../support/cli.ts';
import { createDisk, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { useHoldPoints } from '../support/hold-points.ts';
import { backy2, config, POOL, uniqueVmId } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker } from '../support/workers.ts';

const HOST = 'backup1';
const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

test('a cancelled backup kills backy2 and leaves no half-made version; the next backup is clean', { timeout: 300_000 }, async () => {
  const vm = uniqueVmId('cancel');
  const image = await createDisk(vm, 1024 * MiB);
  cleanup.push(() => removeDisk(image));
  // Parked mid-copy (backy2 stopped after its first block): the cancel never races a fast copy.
  const holds = useHoldPoints();
  cleanup.push(async () => holds.dispose());
  holds.arm('backup.during-copy', image);
  const worker = await startWorker(HOST);
  cleanup.push(() => worker.stop());
  const client = await connectClient();
  cleanup.push(() => client.connection.close());

  const handle = await client.workflow.start('backupInstance', {
    taskQueue: hostTaskQueue(config.temporal.task_queue, HOST),
    workflowId: `test-cancel/${vm}`,
    args: [{ vmId: vm, pool: POOL, host: HOST }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: vm, host: HOST }),
  });
  const pid = (await holds.held('backup.during-copy')).child!;
  await handle.cancel();
  await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError && /cancel/i.test(String(err.cause?.message ?? err.cause)));

  assert.equal(processStartTicks(pid), undefined, 'backy2 was killed');
  const rows = (await backy2(HOST, '-m', 'ls', image)).split('\n').filter((l) => l.startsWith('version|'));
  assert.deepEqual(rows, [], 'no half-made version is left');

  const next = await vmbackupJson<BackupResult>('backup', vm, '--wait');
  assert.equal(next.plan.kind, 'full', 'the cancelled run left no valid base');
  assert.deepEqual(await snapshotNames(image), [next.plan.snapshot], "the cancelled run's snapshot was removed by the next run");
  const after = (await backy2(HOST, '-m', 'ls', image)).split('\n').filter((l) => l.startsWith('version|'));
  assert.equal(after.length, 1);
});
