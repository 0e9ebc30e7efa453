// A restore whose backup host dies mid-copy (worker SIGKILLed, the orphaned
// backy2 hung), finished by a fresh worker: the disk is byte-identical to the
// version. And a restore never interleaves with a running backup of the VM.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { processStartTicks } from '../../activities/exec/orphans.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { RestoreResult } from '../../lib/operations/restore.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { vmbackup, vmbackupJson } from '../support/cli.ts';
import { changeBlocks, createDisk, exportToFile, MiB, removeDisk } from '../support/disks.ts';
import { useHoldPoints } from '../support/hold-points.ts';
import { waitForChildPid } from '../support/run-files.ts';
import { config, POOL, rbd, sha256File, uniqueVmId } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker } from '../support/workers.ts';

const HOST = 'backup1';
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-rcrash-'));
const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

const hashOf = async (spec: string) => {
  const file = join(tmp, `${Date.now()}.img`);
  await exportToFile(spec, file);
  const h = await sha256File(file);
  rmSync(file);
  return h;
};

test('a restore with its worker killed mid-copy completes on a fresh worker, byte-identical', { timeout: 600_000 }, async () => {
  const vm = uniqueVmId('rcrash');
  const image = await createDisk(vm, 1024 * MiB);
  cleanup.push(async () => {
    for (const i of (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(image))) await removeDisk(i);
  });
  let worker = await startWorker(HOST);
  cleanup.push(() => worker.stop('SIGKILL'));
  const backup = await vmbackupJson<BackupResult>('backup', vm, '--wait');
  const versionHash = await hashOf(`${image}@${backup.plan.snapshot}`);
  await changeBlocks(image, 1024 * MiB, 8);

  const client = await connectClient();
  cleanup.push(() => client.connection.close());
  const handle = await client.workflow.start('restoreInstance', {
    taskQueue: hostTaskQueue(config.temporal.task_queue, HOST),
    workflowId: `test-restore-crash/${vm}`,
    args: [{ vmId: vm, pool: POOL, image, host: HOST, versionUid: backup.versionUid!, manageServer: false }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'restore', vmId: vm, host: HOST }),
  });
  const orphan = await waitForChildPid(HOST, `restore.${POOL}.${image}`);
  await sleep(1500);
  assert.ok(processStartTicks(orphan), 'backy2 restore is running when the host dies');
  process.kill(orphan, 'SIGSTOP');
  await worker.stop('SIGKILL');
  cleanup.push(async () => process.kill(orphan, 'SIGKILL'));

  worker = await startWorker(HOST);
  const result = (await handle.result()) as RestoreResult;
  assert.equal(processStartTicks(orphan), undefined, 'the orphaned restore was stopped');
  assert.equal(await hashOf(image), versionHash, 'the disk is byte-identical to the backed-up snapshot');
  assert.ok(result.asideImage);
  await worker.stop(); // one worker per backup host: the next test starts its own
});

test('a restore while a backup of the same VM runs is refused, never interleaved', { timeout: 300_000 }, async () => {
  const vm = uniqueVmId('busy');
  const image = await createDisk(vm, 1024 * MiB);
  cleanup.push(() => removeDisk(image));
  // The backup is parked mid-way (it holds the disk) while the restore is tried: no race with a fast copy.
  const holds = useHoldPoints();
  cleanup.push(async () => holds.dispose());
  const worker = await startWorker(HOST);
  cleanup.push(() => worker.stop());
  const first = await vmbackupJson<BackupResult>('backup', vm, '--wait');
  await changeBlocks(image, 1024 * MiB, 64);
  const before = await hashOf(image);

  holds.arm('backup.before-copy', image);
  const running = await vmbackupJson<{ workflowId: string }>('backup', vm, '--again');
  await holds.held('backup.before-copy');
  const r = await vmbackup('restore', vm, '--version', first.versionUid!, '--yes');
  holds.release('backup.before-copy');
  assert.equal(r.exitCode, 5, r.stderr); // busy: nothing was changed
  assert.match(r.stderr, new RegExp(`VM ${vm} has a running operation: ${running.workflowId.replaceAll('/', '\\/')}`));
  const client = await connectClient();
  cleanup.push(() => client.connection.close());
  await client.workflow.getHandle(running.workflowId).result();
  assert.equal(await hashOf(image), before, 'the disk was not touched by the refused restore');
});
