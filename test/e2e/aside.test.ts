// A restore that is killed (terminated: no compensation can run) leaves its
// disk stranded: the original aside, a half-restored image under its name.
// `vmbackup aside ls` finds it with the restore's id and status, and `vmbackup
// aside put-back` puts the original back byte-identical, keeping the image it
// displaces; it refuses while that restore still runs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AsidePurgeResult, PutBackResult } from '../../activities/aside-activities.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import type { ListedAside } from '../../cli/commands/aside.ts';
import { vmbackup, vmbackupJson } from '../support/cli.ts';
import { changeBlocks, createDisk, imageHash, MiB, removeDisk } from '../support/disks.ts';
import { type HoldPoints, useHoldPoints } from '../support/hold-points.ts';
import { config, POOL, rbd, uniqueVmId } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const HOST = 'backup1';
const SIZE = 16 * MiB;
const vm = uniqueVmId('strand');
const image = `${vm}_disk`;
let holds: HoldPoints;
let worker: WorkerProcess;

before(async () => {
  holds = useHoldPoints();
  worker = await startWorker(HOST);
});
after(async () => {
  await worker?.stop();
  holds?.dispose();
  for (const i of (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(image))) await removeDisk(i);
});


const ourAside = async () => (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(`${image}.vmbackup-aside-`));

test('a stranded restore is listed with its id and status, and put-back restores the original byte-identical (refused while the restore runs)', { timeout: 300_000 }, async () => {
  await createDisk(vm, SIZE);
  const backup = await vmbackupJson<BackupResult>('backup', vm, '--wait');
  await changeBlocks(image, SIZE, 2);
  const original = await imageHash(image);

  holds.arm('restore.after-restore', image);
  const client = await connectClient();
  const restoreId = `test-aside/${vm}`;
  try {
    const handle = await client.workflow.start('restoreInstance', {
      taskQueue: hostTaskQueue(config.temporal.task_queue, HOST),
      workflowId: restoreId,
      args: [{ vmId: vm, pool: POOL, image, host: HOST, versionUid: backup.versionUid!, manageServer: false }],
      typedSearchAttributes: diskOperationAttributes({ operation: 'restore', vmId: vm, host: HOST }),
    });
    await holds.held('restore.after-restore');
    const [aside] = await ourAside();
    assert.ok(aside, 'the original was moved aside');

    const running = await vmbackupJson<ListedAside[]>('aside', 'ls');
    assert.equal(running.find((a) => a.image === aside)?.restoreStatus, 'RUNNING');
    const refused = await vmbackup('aside', 'put-back', aside, '--yes');
    assert.equal(refused.exitCode, 5, 'put-back is refused (busy) while the restore runs');
    assert.match(refused.stderr, new RegExp(`the restore ${restoreId} that moved ${aside} aside is still running`));
    assert.deepEqual(await ourAside(), [aside], 'nothing was renamed');

    // The restore is killed where no undo can run: the disk is stranded.
    await handle.terminate('test: a restore killed mid-way');
    holds.release('restore.after-restore');
    const stranded = await vmbackupJson<ListedAside[]>('aside', 'ls');
    const listed = stranded.find((a) => a.image === aside);
    assert.deepEqual(
      listed && { belongsTo: listed.belongsTo, restoreId: listed.restoreId, restoreStatus: listed.restoreStatus },
      { belongsTo: image, restoreId, restoreStatus: 'TERMINATED' },
    );

    const ahead = await vmbackupJson<AsidePurgeResult>('purge-aside', '--dry-run', '--as-of', '2099-01-01T00:00:00Z');
    assert.match(ahead.kept.find((k) => k.image === aside)?.reason ?? '', /did not complete/, 'purge-aside keeps the image of a restore that did not complete, whatever its age');

    const noConsent = await vmbackup('aside', 'put-back', aside);
    assert.equal(noConsent.exitCode, 2, 'off a terminal, put-back needs --dry-run or --yes');
    const plan = await vmbackupJson<PutBackResult>('aside', 'put-back', aside, '--dry-run');
    assert.equal(plan.dryRun, true);
    assert.deepEqual(await ourAside(), [aside], 'a dry run renames nothing');

    const done = await vmbackupJson<PutBackResult>('aside', 'put-back', aside, '--yes');
    assert.equal(await imageHash(image), original, 'the original is back under its name, byte-identical');
    assert.ok(done.displacedTo, 'the half-restored image was moved out of the way');
    assert.deepEqual(await ourAside(), [done.displacedTo], 'and kept, not deleted');
    const marks = (await rbd('image-meta', 'list', '--format', 'json', `${POOL}/${image}`)) || '{}';
    assert.deepEqual(JSON.parse(marks), {}, 'the original carries no restore marks');
    const after = await vmbackupJson<ListedAside[]>('aside', 'ls');
    assert.ok(!after.some((a) => a.image === aside), 'the put-back image is no longer listed');
  } finally {
    await client.connection.close();
  }
});

test('aside put-back of an unknown image exits 3 and changes nothing', async () => {
  const r = await vmbackup('aside', 'put-back', `${image}.vmbackup-aside-20200101T000000`, '--yes');
  assert.equal(r.exitCode, 3, r.stderr);
  assert.match(r.stderr, /no aside image/);
});
