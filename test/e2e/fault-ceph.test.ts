// Ceph's daemons fail under a backup, on the shared cluster, through
// scripts/stack.sh's own pid files (never recreating anything):
// 1. The OSD stopped for 30 s in the middle of a copy. Its objects live in RAM
//    (memstore), so killing it would lose every image of the cluster: it is
//    frozen (SIGSTOP) and marked down, as a hung OSD host is by its peers, then
//    continued (SIGCONT) and boots again (stack.sh osd-pause). The copy is parked
//    part-way, backy2 frozen with it (hold point backup.during-copy), so the stop
//    lands while blocks remain to be read.
// 2. The monitor restarted (stopped by its pid file, started on its own data)
//    while a night of 4 disks is parked on one of them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import yaml from 'js-yaml';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { changeBlocks, createDisk, MiB, removeDisk, restoreAndSnapshotHashes, snapshotNames } from '../support/disks.ts';
import { useHoldPoints } from '../support/hold-points.ts';
import { config, CONFIG_FILE, POOL, ROOT, uniqueVmId, versionRows } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';

const HOST = 'backup1';
const STACK = `${ROOT}scripts/stack.sh`;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-ceph-fault-'));
const run = uniqueVmId('cf');
/** 64 blocks of 4 MiB: backy2 reads at most ~20 ahead, so most are still to read when the OSD stops. */
const BIG = 256 * MiB;
const SMALL = 8 * MiB;
const OSD_VM = `${run}-osd`;
const NIGHT_VMS = [1, 2, 3, 4].map((i) => `${run}-n${i}`);
const imageOf = (vm: string) => `${vm}_disk`;

const hold = useHoldPoints();
let configFile: string;
let worker: WorkerProcess | undefined;
let client: Client | undefined;
let osdPause: ResultPromise | undefined;

before(async () => {
  // This file's config, with the night's VMs in a local inventory, all on backup1.
  const inventoryFile = join(tmp, 'inventory.yaml');
  writeFileSync(inventoryFile, yaml.dump({ vms: Object.fromEntries(NIGHT_VMS.map((vm, i) => [vm, { name: `cf-n${i + 1}`, project: 'p-ceph-fault', status: 'ACTIVE' }])), volumes: {}, images: {} }));
  configFile = join(tmp, 'config.yaml');
  writeFileSync(configFile, yaml.dump({ ...(yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as object), inventory: { driver: 'local', file: inventoryFile }, project_assignments: { default: HOST } }));
  await createDisk(OSD_VM, BIG);
  await Promise.all(NIGHT_VMS.map((vm) => createDisk(vm, SMALL, 2 * MiB)));
  worker = await startWorker(HOST, configFile);
  client = await connectClient();
});

after(async () => {
  // A test that failed part-way must not leave the shared cluster's OSD frozen, nor a backup parked.
  osdPause?.kill('SIGTERM');
  await execa('bash', [STACK, 'osd-resume'], { reject: false });
  for (const point of ['backup.during-copy', 'backup.after-snapshot'] as const) hold.release(point);
  await worker?.stop();
  await client?.connection.close();
  for (const vm of [OSD_VM, ...NIGHT_VMS]) await removeDisk(imageOf(vm)).catch(() => undefined);
  hold.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const versions = (image: string) => versionRows(HOST, image);

/** backy2's restore of `uid` is byte-identical to the snapshot it was made from. */
async function assertRestoresIdentical(image: string, snapshot: string, uid: string): Promise<void> {
  const hashes = await restoreAndSnapshotHashes(HOST, image, snapshot, uid);
  assert.equal(hashes.restored, hashes.snapshot, `${image}: restore of ${uid} is byte-identical to ${snapshot}`);
}

function backup(vm: string, suffix: string) {
  return client!.workflow.start('backupInstance', {
    taskQueue: hostTaskQueue(config.temporal.task_queue, HOST),
    workflowId: `test-osd/${vm}/${suffix}`,
    args: [{ vmId: vm, pool: POOL, host: HOST }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: vm, host: HOST }),
  });
}

test('the OSD stopped for 30 s in the middle of a copy: the backup waits it out and completes; one valid version; the next run succeeds', { timeout: 600_000 }, async () => {
  const image = imageOf(OSD_VM);
  hold.arm('backup.during-copy', image);
  const handle = await backup(OSD_VM, 'first');
  await hold.held('backup.during-copy');

  osdPause = execa('bash', [STACK, 'osd-pause', '30'], { reject: false });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    osdPause!.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/osd\.0 \(pid \d+\) stopped/.test(err)) resolve();
    });
    void osdPause!.then((r) => reject(new Error(`stack.sh osd-pause ended before stopping the OSD (exit ${r.exitCode}):\n${err}`)));
  });
  const stoppedAt = Date.now();
  hold.release('backup.during-copy'); // backy2 goes on, and meets the frozen OSD
  const paused = await osdPause;
  assert.equal(paused.exitCode, 0, String(paused.stderr));
  const result = (await handle.result()) as BackupResult;
  const seconds = (Date.now() - stoppedAt) / 1000;
  console.log(`# the backup completed ${seconds.toFixed(1)} s after the OSD was stopped`);
  assert.ok(seconds >= 30, 'it could finish only once the OSD was back: the stop landed in the copy');

  const history = await handle.fetchHistory();
  const attempts = history.events!.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
  console.log(`# activity attempts: ${attempts.join(', ')}`);
  const rows = await versions(image);
  assert.equal(rows.length, 1, `exactly one version, no half-made one: ${JSON.stringify(rows)}`);
  assert.ok(rows[0]!.valid && rows[0]!.uid === result.versionUid, 'and it is the valid version the workflow returned');
  assert.deepEqual(await snapshotNames(image), [result.plan.snapshot], 'one snapshot, the version\'s');
  await assertRestoresIdentical(image, result.plan.snapshot, result.versionUid!);

  // The next run: an incremental on that version, as any night.
  await changeBlocks(image, BIG, 3);
  const next = (await (await backup(OSD_VM, 'next')).result()) as BackupResult;
  assert.equal(next.plan.kind, 'incremental');
  assert.equal(next.plan.baseUid, result.versionUid);
  assert.deepEqual(await snapshotNames(image), [next.plan.snapshot]);
  assert.equal((await versions(image)).filter((r) => r.valid).length, 2);
  await assertRestoresIdentical(image, next.plan.snapshot, next.versionUid!);
});

test('the Ceph monitor restarted while a night of 4 disks is parked: the night completes, each disk one valid version, byte-identical', { timeout: 600_000 }, async () => {
  hold.arm('backup.after-snapshot', imageOf(NIGHT_VMS[1]!));
  const started = await vmbackupWith(configFile, '-o', 'json', 'run-nightly', '--host', HOST);
  assert.equal(started.exitCode, 0, started.stderr);
  const { workflowId } = (JSON.parse(started.stdout) as Array<{ workflowId: string }>)[0]!;
  await hold.held('backup.after-snapshot');

  const monPid = readFileSync(`${ROOT}.stack/ceph/run/mon.a.pid`, 'utf8').trim();
  const restarted = await execa('bash', [STACK, 'mon-restart'], { reject: false });
  assert.equal(restarted.exitCode, 0, String(restarted.stderr));
  assert.notEqual(readFileSync(`${ROOT}.stack/ceph/run/mon.a.pid`, 'utf8').trim(), monPid, 'a new mon process');
  hold.release('backup.after-snapshot');

  const summary = (await client!.workflow.getHandle(workflowId).result()) as NightlySummary;
  assert.deepEqual(summary.backedUp.map((d) => d.id).sort(), NIGHT_VMS);
  assert.deepEqual(summary.counts, { planned: 4, full: 4, incremental: 0, skipped: summary.counts.skipped, failed: 0 });
  for (const d of summary.backedUp) {
    const image = imageOf(d.id);
    const rows = await versions(image);
    assert.equal(rows.length, 1, `${d.id}: exactly one version, none half-made: ${JSON.stringify(rows)}`);
    assert.ok(rows[0]!.valid && rows[0]!.uid === d.versionUid, `${d.id}: the valid version the night reported`);
    assert.deepEqual(await snapshotNames(image), [rows[0]!.snapshot], `${d.id}: one snapshot, the version's`);
    await assertRestoresIdentical(image, rows[0]!.snapshot, rows[0]!.uid);
  }
});
