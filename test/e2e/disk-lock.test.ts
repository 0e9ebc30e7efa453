// One operation per disk, enforced by the disk lock inside the workflows (not
// by the CLI's visibility look-up, which lags and runs before the operator
// confirms). Every race is made deterministic with hold points: a worker parks
// one operation at a named step until the test lets it go.
//   - the night: the night plans, a restore of VM X starts, the night's
//     lane reaches X: X is skipped `busy`, never snapshotted half-written;
//   - two backups of one disk at once: the second is refused (exit 5), the
//     first keeps its snapshot; exactly one snapshot and one new version;
//   - a restore asked to wait for a running backup starts after it, and restores;
//   - a purge meeting a restore of an expired version keeps that version.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { diskLockId } from '../../lib/operations/disk-lock.ts';
import { execa } from 'execa';
import { sqliteMetaPath } from '../../activities/engine/backy2-sqlite-meta.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import type { RestoreResult } from '../../lib/operations/restore.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupConfirmed, vmbackupWith } from '../support/cli.ts';
import { changeBlocks, createDisk, exportToFile, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { fakeServer } from '../support/fake-openstack.ts';
import { type HoldPoints, useHoldPoints } from '../support/hold-points.ts';
import { withFakeOpenstack } from '../support/openstack-stack.ts';
import { backy2, config, POOL, rbd, sha256File, uniqueVmId } from '../support/stack.ts';
import { connectClient, findWorkflows } from '../support/temporal.ts';
import { stepProgressQuery } from '../../workflows/definitions.ts';

const HOST = 'backup1';
const SIZE = 16 * MiB;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-lock-'));
const run = uniqueVmId('lock');
/** Sorted by name, the night takes `a-first` before `b-target`. */
const VMS = { first: { id: `${run}-first`, name: 'a-first' }, target: { id: `${run}-target`, name: 'b-target' } };
const image = (id: string) => `${id}_disk`;

let holds: HoldPoints;
let worker: WorkerProcess;
let client: Client;
let configFile: string;
let stopFake: () => Promise<void>;

const cli = (...args: string[]) => vmbackupWith(configFile, ...args);
async function json<T>(...args: string[]): Promise<T> {
  const r = await cli('-o', 'json', ...args);
  assert.equal(r.exitCode, 0, `vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

async function hashOf(spec: string): Promise<string> {
  const file = join(tmp, `${Date.now()}.img`);
  await exportToFile(spec, file);
  const hash = await sha256File(file);
  rmSync(file);
  return hash;
}

/** Valid versions of an image in the host's store, by the real backy2. */
async function versionsOf(img: string): Promise<string[]> {
  // `-m ls` rows: version|date|name|snapshot|blocks|bytes|uid|valid|protected|tags
  const rows = (await backy2(HOST, '-m', 'ls', img)).split('\n').map((l) => l.split('|'));
  return rows.filter((f) => f[0] === 'version' && f[7] === '1').map((f) => f[6]!);
}

before(async () => {
  holds = useHoldPoints();
  const { fake, configFile: file } = await withFakeOpenstack(
    tmp,
    {
      projects: [
        { id: 'p-admin', name: 'admin' },
        { id: 'p-lock', name: 'lock' },
      ],
      servers: Object.values(VMS).map((v) => fakeServer({ id: v.id, name: v.name, projectId: 'p-lock' })),
    },
    (base) => ({
      // One lane, so the night reaches the target only after the first disk.
      hosts: (base.hosts as Array<Record<string, unknown>>).map((h) => ({ ...h, concurrency: 1 })),
      inventory: { driver: 'openstack' },
      project_assignments: { default: HOST },
    }),
  );
  configFile = file;
  stopFake = () => fake.stop();
  await Promise.all(Object.values(VMS).map((v) => createDisk(v.id, SIZE)));
  worker = await startWorker(HOST, configFile);
  client = await connectClient();
});

after(async () => {
  await worker?.stop();
  await client?.connection.close();
  await stopFake?.();
  // The disks, and the images the restores moved aside.
  for (const name of (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(run))) await removeDisk(name).catch(() => undefined);
  holds?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('a night that reaches a disk under restore skips it as busy; the restore completes byte-identical', { timeout: 600_000 }, async () => {
  const target = image(VMS.target.id);
  const base = await json<BackupResult>('backup', VMS.target.id, '--wait');
  const versionHash = await hashOf(`${target}@${base.plan.snapshot}`);
  await changeBlocks(target, SIZE, 2);
  const versionsBefore = await versionsOf(target);

  // The night plans both disks and parks on the first one's copy.
  holds.arm('backup.before-copy', image(VMS.first.id));
  const [night] = await json<Array<{ workflowId: string }>>('run-nightly', '--host', HOST);
  await holds.held('backup.before-copy');

  // An operator restores the target meanwhile; it parks with the disk moved aside.
  holds.arm('restore.after-move-aside', target);
  const restore = await client.workflow.start('restoreInstance', {
    taskQueue: hostTaskQueue(config.temporal.task_queue, HOST),
    workflowId: `restore/${VMS.target.id}/lock-test`,
    args: [{ vmId: VMS.target.id, pool: POOL, image: target, host: HOST, versionUid: base.versionUid!, manageServer: false }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'restore', vmId: VMS.target.id, host: HOST }),
  });
  await holds.held('restore.after-move-aside');

  // The night goes on and reaches the target while it is half-restored.
  holds.release('backup.before-copy');
  const summary = (await client.workflow.getHandle(night!.workflowId).result()) as NightlySummary;
  const skipped = summary.skipped.find((s) => s.id === VMS.target.id);
  assert.equal(skipped?.code, 'busy', `the target is skipped busy, not backed up or failed: ${JSON.stringify(summary, null, 2)}`);
  assert.match(skipped.reason, new RegExp(`restore/${VMS.target.id}/lock-test holds its lock`));
  assert.equal(summary.counts.failed, 0);
  assert.equal(summary.backedUp.map((b) => b.id).join(), VMS.first.id);

  holds.release('restore.after-move-aside');
  const restored = (await restore.result()) as RestoreResult;
  assert.ok(restored.asideImage);
  assert.equal(await hashOf(target), versionHash, 'the restore is byte-identical to the version');
  assert.deepEqual(await versionsOf(target), versionsBefore, 'the night made no version of the half-restored disk');
});

test('two backups of one disk at once: the second is refused, the first keeps its snapshot', { timeout: 600_000 }, async () => {
  const target = image(VMS.first.id);
  await json<BackupResult>('backup', VMS.first.id, '--wait', '--again');
  await changeBlocks(target, SIZE, 2);
  const versionsBefore = await versionsOf(target);

  holds.arm('backup.after-snapshot', target);
  const first = await json<{ workflowId: string }>('backup', VMS.first.id, '--again');
  await holds.held('backup.after-snapshot');
  // --again at a later second: its own workflow id, so only the disk lock stands in its way.
  const second = await cli('backup', VMS.first.id, '--again', '--wait');
  assert.equal(second.exitCode, 5, `the second backup is refused as busy:\n${second.stderr}`);
  assert.match(second.stderr, new RegExp(`${first.workflowId.replaceAll('/', '\\/')} holds its lock`));

  holds.release('backup.after-snapshot');
  const made = (await client.workflow.getHandle(first.workflowId).result()) as BackupResult;
  assert.equal(made.plan.kind, 'incremental');
  assert.deepEqual(await snapshotNames(target), [made.plan.snapshot], 'exactly the first backup\'s snapshot is left');
  const after = await versionsOf(target);
  assert.equal(after.length, versionsBefore.length + 1, 'one new valid version');
  assert.ok(after.includes(made.versionUid!));
});

test('a restore asked to wait for a running backup starts after it, byte-identical', { timeout: 600_000 }, async () => {
  const target = image(VMS.target.id);
  const version = await json<BackupResult>('backup', VMS.target.id, '--wait', '--again');
  const versionHash = await hashOf(`${target}@${version.plan.snapshot}`);
  await changeBlocks(target, SIZE, 2);

  holds.arm('backup.after-snapshot', target);
  const backup = await json<{ workflowId: string }>('backup', VMS.target.id, '--again');
  await holds.held('backup.after-snapshot');
  // The restore parks where it finds the disk held: nothing stopped or moved aside by then.
  holds.arm('lock.busy', diskLockId(POOL, target));
  const restoring = cli('-o', 'json', 'restore', VMS.target.id, '--version', version.versionUid!, '--yes', '--if-busy', 'wait');
  await holds.held('lock.busy');
  const [restore] = await findWorkflows(client, `VmId = "${VMS.target.id}" AND Operation = "restore" AND ExecutionStatus = "Running"`);
  assert.ok(restore, 'the restore started');
  assert.deepEqual(await client.workflow.getHandle(restore.workflowId).query(stepProgressQuery), { step: 'lock', detail: `${POOL}/${target}` });
  holds.release('lock.busy');
  holds.release('backup.after-snapshot');
  const made = (await client.workflow.getHandle(backup.workflowId).result()) as BackupResult;
  const r = await restoring;
  assert.equal(r.exitCode, 0, r.stderr);
  const restored = JSON.parse(r.stdout) as RestoreResult & { finishedAt: string };
  assert.ok(Date.parse(restored.finishedAt) >= Date.parse(made.finishedAt), 'the restore finished after the backup');
  assert.equal(await hashOf(target), versionHash, 'the disk is byte-identical to the chosen version');
});

test('a purge keeps the expired version a running restore reads, and the restore completes byte-identical', { timeout: 600_000 }, async () => {
  const target = image(VMS.target.id);
  const old = await json<BackupResult>('backup', VMS.target.id, '--wait', '--again');
  const oldHash = await hashOf(`${target}@${old.plan.snapshot}`);
  await changeBlocks(target, SIZE, 2);
  await json<BackupResult>('backup', VMS.target.id, '--wait', '--again');
  // The old version expired long ago: purge would remove it (stands in for 40 nights of waiting).
  const db = sqliteMetaPath(config.hosts.find((h) => h.name === HOST)!.backy2_config)!;
  const sql = (q: string) => execa('sqlite3', ['-cmd', '.timeout 10000', db, q]);
  await sql(`UPDATE versions SET date = datetime(date, '-40 days') WHERE uid = '${old.versionUid}'`);
  await sql(`UPDATE tags SET name = 'expires_2001-01-09' WHERE version_uid = '${old.versionUid}' AND name LIKE 'expires_%'`);

  holds.arm('restore.before-restore', target);
  const restoring = cli('-o', 'json', 'restore', VMS.target.id, '--version', old.versionUid!, '--yes');
  await holds.held('restore.before-restore');
  const { dryRun, run } = await vmbackupConfirmed(configFile, 'purge', '--host', HOST);
  assert.match(dryRun.stdout, new RegExp(old.versionUid!), 'the dry run plans the expired version');
  assert.equal(run.exitCode, 0, run.stderr);
  assert.ok((await versionsOf(target)).includes(old.versionUid!), 'the version under restore is kept');
  assert.match(run.stdout, /busy/);

  holds.release('restore.before-restore');
  const r = await restoring;
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(await hashOf(target), oldHash, 'the restore of the kept version is byte-identical');
});
