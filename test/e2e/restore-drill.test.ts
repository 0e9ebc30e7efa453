// restoreDrill on the real stack: a sound version restores into a scratch
// image, matches its checksums, and the scratch image goes; a version with a
// block flipped in the store is reported (marked invalid after two reads) and
// never restored; a drill cancelled mid-way still removes its scratch image.
// The VM's disk is never touched: its bytes and its snapshots stay as they were.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { Backy2BlockStore } from '../../activities/engine/backy2-blocks.ts';
import { needsFull } from '../../activities/verify/needs-full.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { DrillSummary, RestoreDrillInput } from '../../lib/operations/verify.ts';
import { Outcome } from '../../lib/search-attributes.ts';
import { scratchImageName } from '../../lib/verify/scratch.ts';
import { vmbackupJson } from '../support/cli.ts';
import { createDisk, imageHash, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { useHoldPoints } from '../support/hold-points.ts';
import { backy2, config, POOL, rbd, uniqueVmId } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const HOST = 'backup1';
const host = config.hosts.find((h) => h.name === HOST)!;
const store = new Backy2BlockStore(host.backy2_config);
const holds = useHoldPoints();
const vm = uniqueVmId('drill');
const SIZE = 12 * MiB;
let image: string;
let worker: WorkerProcess;
let client: Client;
let uid: string;
let diskBefore: { hash: string; snapshots: string[] };

const diskNow = async () => ({ hash: await imageHash(image), snapshots: await snapshotNames(image) });
const scratchImages = async () => (JSON.parse(await rbd('ls', '--format', 'json', POOL)) as string[]).filter((n) => n.startsWith(`vmbackup-drill-${HOST}-`));

function start(input: Partial<RestoreDrillInput> = {}) {
  return client.workflow.start('restoreDrill', {
    workflowId: `drill/${HOST}/${uniqueVmId('t')}`,
    taskQueue: config.temporal.task_queue,
    args: [{ host: HOST, sample: 1, scratchPool: POOL, images: [image], ...input }],
  });
}

async function drill(input: Partial<RestoreDrillInput> = {}): Promise<{ summary: DrillSummary; outcome: string | undefined }> {
  const handle = await start(input);
  const summary = (await handle.result()) as DrillSummary;
  return { summary, outcome: (await handle.describe()).typedSearchAttributes.get(Outcome) };
}

before(async () => {
  worker = await startWorker(HOST);
  client = await connectClient();
  image = await createDisk(vm, SIZE, 9 * MiB); // the last block sparse
  uid = (await vmbackupJson<BackupResult>('backup', vm, '--host', HOST, '--wait')).versionUid!;
  diskBefore = await diskNow();
});

after(async () => {
  holds.dispose();
  await worker?.stop();
  await client?.connection.close();
  if (uid) await backy2(HOST, 'rm', '-f', uid).catch(() => undefined);
  await rbd('rm', '--no-progress', `${POOL}/${scratchImageName(HOST, uid)}`).catch(() => undefined);
  if (image) await removeDisk(image);
  // The corrupted version's disk was marked for a full backup next; the disk is gone, so is the mark.
  rmSync(`${host.state_dir}/verify/needs-full/${image}.json`, { force: true });
});

test('a sound version restores into a scratch image that matches it; the scratch image goes; the disk is untouched', async () => {
  const { summary, outcome } = await drill();
  assert.deepEqual(summary.counts, { checked: 1, ok: 1, failed: 0, markedInvalid: 0 });
  assert.deepEqual(summary.drilled, [{ image, uid, scratch: `${POOL}/${scratchImageName(HOST, uid)}`, ok: true, bytes: SIZE }]);
  assert.deepEqual(summary.failed, []);
  assert.equal(outcome, 'ok');
  assert.deepEqual(await scratchImages(), [], 'no scratch image left');
  assert.deepEqual(await diskNow(), diskBefore, "the VM's disk and its snapshots are as they were");
});

test('a drill cancelled after its restore still removes the scratch image', async () => {
  holds.arm('drill.after-restore', uid);
  const handle = await start();
  await holds.held('drill.after-restore');
  assert.deepEqual(await scratchImages(), [scratchImageName(HOST, uid)], 'the restore wrote the scratch image, nothing else');
  // Never released: the parked activity can only end by the cancellation reaching it.
  await handle.cancel();
  await assert.rejects(handle.result(), WorkflowFailedError);
  assert.deepEqual(await scratchImages(), [], 'the non-cancellable cleanup removed it');
  assert.deepEqual(await diskNow(), diskBefore);
});

test('a version with a corrupted stored block is reported and marked invalid after two reads, and never restored', async () => {
  const block = (await store.blocks(uid)).find((b) => b.uid !== null && b.id === 1)!;
  const file = store.blobFile(block.uid!);
  const bad = readFileSync(file);
  for (let i = 0; i < 16; i++) bad[i] = bad[i]! ^ 0xff;
  writeFileSync(file, bad);

  const { summary, outcome } = await drill();
  assert.equal(outcome, 'failed');
  assert.deepEqual(summary.counts, { checked: 1, ok: 0, failed: 1, markedInvalid: 1 });
  const [failure] = summary.failed;
  assert.equal(failure!.uid, uid);
  assert.equal(failure!.image, image);
  assert.equal(failure!.state, 'marked-invalid');
  assert.match(failure!.reason, /block 1: checksum mismatch \(read twice\)/);
  const row = (await backy2(HOST, '-m', 'ls', image)).split('\n').find((l) => l.includes(uid))!;
  assert.equal(row.split('|')[7], '0', 'backy2 -m ls shows it invalid');
  assert.deepEqual(await scratchImages(), []);
  assert.deepEqual(await diskNow(), diskBefore, "the VM's disk and its snapshots are as they were");
  assert.equal(needsFull(`${host.state_dir}/verify`, image)?.uid, uid, "the disk's next backup is full");
});
