// verifyBackups on the real stack: a clean run reports every version checked
// and sound; a block flipped on purpose in the store is found, read a second
// time, and only then marked invalid by backy2 (with every version sharing it);
// a bad first read that the second read does not confirm marks nothing; the
// disk's next backup is full.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { sqliteMetaPath } from '../../activities/engine/backy2-sqlite-meta.ts';
import { Backy2BlockStore } from '../../activities/engine/backy2-blocks.ts';
import { needsFull } from '../../activities/verify/needs-full.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { VerifyBackupsInput, VerifySummary } from '../../lib/operations/verify.ts';
import { Outcome } from '../../lib/search-attributes.ts';
import { vmbackupJson } from '../support/cli.ts';
import { changeBlocks, createDisk, MiB, removeDisk } from '../support/disks.ts';
import { useHoldPoints } from '../support/hold-points.ts';
import { backy2, config, uniqueVmId } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const HOST = 'backup1';
const host = config.hosts.find((h) => h.name === HOST)!;
const VERIFY_DIR = `${host.state_dir}/verify`;
const store = new Backy2BlockStore(host.backy2_config);
const holds = useHoldPoints();
const vmA = uniqueVmId('verify-a');
const vmB = uniqueVmId('verify-b');
const SIZE = 16 * MiB;
/** The incremental changes block 0 only: block 1 is one blob shared by both versions of A. */
const SHARED_BLOCK = 1;
let imageA: string;
let imageB: string;
let worker: WorkerProcess;
let client: Client;
const uids: string[] = [];
let full: string;
let incremental: string;
let clean: string;
/** The full backup made after the corruption. */
let refull: string;

const backup = (vm: string, ...extra: string[]) => vmbackupJson<BackupResult>('backup', vm, '--host', HOST, '--wait', ...extra);

/** `backy2 -m ls` of these versions: uid → valid. */
async function validity(): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const line of (await backy2(HOST, '-m', 'ls')).split('\n')) {
    const uid = uids.find((u) => line.includes(u));
    if (uid) out[uid] = line.split('|')[7] === '1'; // type|date|name|snapshot_name|size|size_bytes|uid|valid|…
  }
  return out;
}

/** Flips bytes in the blob of one block of the version; returns how to put them back. */
async function corruptBlock(uid: string, id: number): Promise<{ file: string; restore: () => void }> {
  const block = (await store.blocks(uid)).find((b) => b.id === id && b.uid !== null)!;
  const file = store.blobFile(block.uid!);
  const good = readFileSync(file);
  const bad = Buffer.from(good);
  for (let i = 0; i < 16; i++) bad[i] = bad[i]! ^ 0xff;
  writeFileSync(file, bad);
  return { file, restore: () => writeFileSync(file, good) };
}

async function verify(input: Partial<VerifyBackupsInput> = {}): Promise<{ summary: VerifySummary; outcome: string | undefined }> {
  const workflowId = `verify/${HOST}/${uniqueVmId('t')}`;
  const handle = await client.workflow.start('verifyBackups', {
    workflowId,
    taskQueue: config.temporal.task_queue,
    args: [{ host: HOST, scrubEveryNights: 1, deepSample: 2, images: [imageA, imageB], ...input }],
  });
  const summary = (await handle.result()) as VerifySummary;
  const outcome = (await handle.describe()).typedSearchAttributes.get(Outcome);
  return { summary, outcome };
}

before(async () => {
  worker = await startWorker(HOST);
  client = await connectClient();
  imageA = await createDisk(vmA, SIZE);
  imageB = await createDisk(vmB, 8 * MiB);
  full = (await backup(vmA)).versionUid!;
  await changeBlocks(imageA, SIZE, 1);
  incremental = (await backup(vmA, '--again')).versionUid!;
  clean = (await backup(vmB)).versionUid!;
  uids.push(full, incremental, clean);
});

after(async () => {
  holds.dispose();
  await worker?.stop();
  await client?.connection.close();
  for (const uid of uids) await backy2(HOST, 'rm', '-f', uid).catch(() => undefined);
  for (const image of [imageA, imageB]) if (image) await removeDisk(image);
});

test('a clean run checks every version of its share and the newest against its snapshot, and reports ok', async () => {
  const { summary, outcome } = await verify();
  assert.equal(summary.versions, 3);
  assert.equal(summary.planned, 3, 'scrub_every_nights 1: the whole share');
  assert.deepEqual(summary.scrub, { checked: 3, ok: 3, failed: 0, markedInvalid: 0 });
  assert.equal(summary.bytes, SIZE + 8 * MiB + 4 * MiB, 'the full, the one changed block of the incremental (shared blocks once), and B');
  assert.deepEqual({ ...summary.deep, bytes: undefined }, { checked: 2, ok: 2, failed: 0, markedInvalid: 0, skipped: 0, bytes: undefined });
  assert.deepEqual(summary.failed, []);
  assert.equal(outcome, 'ok');
  assert.deepEqual(await validity(), { [full]: true, [incremental]: true, [clean]: true });
});

test('with scrub_every_nights 3, three runs scrub the three versions one each, least recently scrubbed first; a run continues as new', async () => {
  const record = () => JSON.parse(readFileSync(`${VERIFY_DIR}/scrubbed.json`, 'utf8')) as Record<string, string>;
  const order = () => [full, incremental, clean].sort((a, b) => record()[a]!.localeCompare(record()[b]!));
  const before = order();
  for (let night = 0; night < 3; night++) {
    const { summary } = await verify({ scrubEveryNights: 3, deepSample: 0 });
    assert.equal(summary.planned, 1);
    assert.deepEqual(summary.scrub, { checked: 1, ok: 1, failed: 0, markedInvalid: 0 });
  }
  assert.deepEqual(order(), before, 'each night took the one scrubbed longest ago, so the order went round once');
  const { summary } = await verify({ deepSample: 0, batchVersions: 1, batchesPerRun: 1 });
  assert.deepEqual(summary.scrub, { checked: 3, ok: 3, failed: 0, markedInvalid: 0 });
  assert.equal(summary.runs, 3, 'one batch per run: continued as new twice, the summary carried along');
});

test('a bad first read that the second read does not confirm marks nothing', async () => {
  // Whichever of A's two versions is read first parks (both hold the block); the other takes its verdict.
  holds.arm('verify.before-second-read');
  const corrupt = await corruptBlock(full, SHARED_BLOCK);
  const run = verify({ deepSample: 0, images: [imageA] });
  try {
    // Parked between the two reads: the store heals (as a flaky read would) before the second.
    await holds.held('verify.before-second-read');
  } finally {
    corrupt.restore();
  }
  holds.release('verify.before-second-read');
  const { summary, outcome } = await run;
  const [failure] = summary.failed;
  assert.equal(summary.failed.length, 1);
  assert.ok([full, incremental].includes(failure!.uid));
  assert.equal(failure!.state, 'transient');
  assert.match(failure!.reason, /checksum mismatch.*second read found them sound/);
  assert.equal(outcome, 'failed', 'an operator should still hear of it');
  assert.deepEqual(await validity(), { [full]: true, [incremental]: true, [clean]: true }, 'nothing marked invalid');
  assert.equal(needsFull(VERIFY_DIR, imageA), undefined);
});

test('a corrupted block is read twice, then marked invalid with every version sharing it; the next backup is full', async () => {
  await corruptBlock(full, SHARED_BLOCK);
  const { summary, outcome } = await verify();
  assert.equal(outcome, 'failed');
  assert.equal(summary.failed.length, 1, JSON.stringify(summary.failed));
  const [failure] = summary.failed;
  assert.equal(failure!.image, imageA);
  assert.equal(failure!.state, 'marked-invalid');
  assert.match(failure!.reason, /block 1: checksum mismatch \(read twice\)/);
  assert.deepEqual([failure!.uid, ...failure!.alsoInvalid].sort(), [full, incremental].sort());
  assert.equal(summary.scrub.failed + summary.deep.failed, 1);
  assert.equal(summary.scrub.markedInvalid + summary.deep.markedInvalid, 2);
  assert.deepEqual(await validity(), { [full]: false, [incremental]: false, [clean]: true });

  const next = await backup(vmA, '--again');
  uids.push(next.versionUid!);
  refull = next.versionUid!;
  assert.equal(next.plan.kind, 'full');
  assert.match(next.plan.reason, new RegExp(`found version ${failure!.uid} bad`));
  assert.equal((await validity())[next.versionUid!], true);
  assert.equal(needsFull(VERIFY_DIR, imageA), undefined, 'the full backup is done with the mark');

  const again = await verify({ images: [imageA] });
  assert.deepEqual(again.summary.scrub, { checked: 1, ok: 1, failed: 0, markedInvalid: 0 }, 'invalid versions are not scrubbed again; the new full one is sound');
  assert.equal(again.outcome, 'ok');
});

test('a version that does not hold what its snapshot holds (an rbd diff bug) is found by the deep check; the next backup is full', async () => {
  // What a wrong incremental leaves: a stored block sound by its own checksum, but not the snapshot's bytes.
  // Made here as backy2 would have stored it: other bytes in a blob of their own, the version's block pointing at it.
  const block = (await store.blocks(refull)).find((b) => b.id === 2)!;
  const other = randomBytes(block.size);
  const blob = `verifytest${randomBytes(11).toString('hex')}`;
  mkdirSync(dirname(store.blobFile(blob)), { recursive: true });
  writeFileSync(store.blobFile(blob), other);
  const checksum = createHash('sha512').update(other).digest('hex');
  await execa('sqlite3', ['-cmd', '.timeout 10000', sqliteMetaPath(host.backy2_config)!, `UPDATE blocks SET uid = '${blob}', checksum = '${checksum}' WHERE version_uid = '${refull}' AND id = 2`]);

  const { summary, outcome } = await verify({ images: [imageA], deepSample: 1 });
  assert.equal(outcome, 'failed');
  assert.deepEqual(summary.scrub, { checked: 1, ok: 1, failed: 0, markedInvalid: 0 }, 'the store alone looks sound');
  assert.equal(summary.deep.failed, 1);
  const [failure] = summary.failed;
  assert.equal(failure!.uid, refull);
  assert.equal(failure!.state, 'differs-from-source');
  assert.match(failure!.reason, /blocks 2 differ from snapshot .* \(read twice\)/);
  assert.ok(needsFull(VERIFY_DIR, imageA), 'the next backup of the disk is full');

  const next = await backup(vmA, '--again');
  uids.push(next.versionUid!);
  assert.equal(next.plan.kind, 'full');
  assert.equal(needsFull(VERIFY_DIR, imageA), undefined);
});
