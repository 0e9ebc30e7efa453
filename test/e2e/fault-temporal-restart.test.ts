// The Temporal server itself fails. This file runs its own dev server
// (test/support/private-temporal.ts: same binary and flags as the stack's, its
// own SQLite file and port), so killing it never touches the shared one.
// 1. SIGKILLed in the middle of a night of 20 disks, started again on the same
//    database: the night completes, no disk is backed up twice, the summary is right.
// 2. Down when the CLI starts a restore: exit 4 at once, saying where and what to do; nothing changed.
// 3. Down for a few seconds while the CLI watches a restore: the restore completes
//    byte-identical, and the CLI reports it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import yaml from 'js-yaml';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { nightlyProgressQuery } from '../../workflows/definitions.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { spawnVmbackupWith, vmbackupWith } from '../support/cli.ts';
import { changeBlocks, createDisk, imageHash, MiB, removeDisk, restoreAndSnapshotHashes, snapshotNames } from '../support/disks.ts';
import { useHoldPoints } from '../support/hold-points.ts';
import { privateTemporal, type PrivateTemporal } from '../support/private-temporal.ts';
import { hostsWithWorkers } from '../../lib/temporal/pollers.ts';
import { config, CONFIG_FILE, POOL, rbd, uniqueVmId, versionRows } from '../support/stack.ts';
import { findWorkflows } from '../support/temporal.ts';

const HOST = 'backup1';
const DISK_SIZE = 8 * MiB;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-temporal-fault-'));
const run = uniqueVmId('tf');
/** 20 VMs of one project, all on backup1, backed up in name order. */
const VMS = Array.from({ length: 20 }, (_, i) => `${run}-${String(i + 1).padStart(2, '0')}`);
const imageOf = (vm: string) => `${vm}_disk`;
/** The disk parked while the server dies: the 10th, so several are done by then. */
const PARKED = VMS[9]!;

const hold = useHoldPoints();
let server: PrivateTemporal;
let configFile: string;
let worker: WorkerProcess | undefined;
let client: Client | undefined;

before(async () => {
  server = await privateTemporal();
  await server.start();
  const inventoryFile = join(tmp, 'inventory.yaml');
  writeFileSync(inventoryFile, yaml.dump({ vms: Object.fromEntries(VMS.map((vm, i) => [vm, { name: `tf-${String(i + 1).padStart(2, '0')}`, project: 'p-fault', status: 'ACTIVE' }])), volumes: {}, images: {} }));
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as { temporal: Record<string, unknown> };
  configFile = join(tmp, 'config.yaml');
  writeFileSync(
    configFile,
    yaml.dump({
      ...base,
      temporal: { ...base.temporal, address: server.address },
      inventory: { driver: 'local', file: inventoryFile },
      project_assignments: { default: HOST },
    }),
  );
  await Promise.all(VMS.map((vm) => createDisk(vm, DISK_SIZE, 2 * MiB)));
  worker = await startWorker(HOST, configFile);
  client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: 'default' });
});

after(async () => {
  // Whatever failed: nothing left parked, the worker and the server stopped by pid.
  for (const point of ['backup.after-snapshot', 'restore.before-restore'] as const) hold.release(point);
  await worker?.stop();
  await client?.connection.close();
  await server?.dispose();
  // The disks, and the original a restore moved aside (`<image>.vmbackup-aside-…`).
  for (const image of (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(`${run}-`))) await removeDisk(image).catch(() => undefined);
  hold.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * Resolves once the restarted server sees the worker poll the host's queue again (the CLI
 * asks only hosts it sees polling); returns how long that took.
 */
async function workerPollsAgain(): Promise<number> {
  const t0 = Date.now();
  while (!(await hostsWithWorkers(client!, 'default', config.temporal.task_queue, [HOST]).catch(() => new Set())).has(HOST)) {
    if (Date.now() - t0 > 120_000) throw new Error(`the worker did not poll the restarted server within 120 s:\n${worker!.output()}`);
    await sleep(200);
  }
  return (Date.now() - t0) / 1000;
}

const versions = (image: string) => versionRows(HOST, image);

test('Temporal SIGKILLed mid-night and started on the same database: the night completes, each disk backed up once, the summary is right', { timeout: 600_000 }, async () => {
  hold.arm('backup.after-snapshot', imageOf(PARKED));
  const started = await vmbackupWith(configFile, '-o', 'json', 'run-nightly', '--host', HOST);
  assert.equal(started.exitCode, 0, started.stderr);
  const { workflowId } = (JSON.parse(started.stdout) as Array<{ workflowId: string }>)[0]!;
  const night = client!.workflow.getHandle(workflowId);

  await hold.held('backup.after-snapshot');
  const before = await night.query(nightlyProgressQuery);
  assert.ok(before.done >= 5, `several disks are done before the kill (done ${before.done} of ${before.planned})`);
  const killedPid = server.pid();
  await server.kill('SIGKILL');
  await server.start();
  assert.notEqual(server.pid(), killedPid, 'a new server process, on the same database');
  hold.release('backup.after-snapshot');

  const summary = (await night.result()) as NightlySummary;
  assert.deepEqual(summary.counts, { planned: 20, full: 20, incremental: 0, skipped: summary.counts.skipped, failed: 0 });
  assert.deepEqual(summary.backedUp.map((d) => d.id).sort(), VMS);
  assert.deepEqual(summary.failed, []);
  assert.equal(summary.runs, 1);
  assert.equal((await night.describe()).status.name, 'COMPLETED');

  // The server is this file's alone: every backupInstance it ever ran is this night's.
  const runs = await findWorkflows(client!, 'WorkflowType = "backupInstance"', 20);
  const perDisk = new Map<string, number>();
  for (const r of runs) perDisk.set(r.workflowId, (perDisk.get(r.workflowId) ?? 0) + 1);
  assert.deepEqual([...perDisk.keys()].sort(), VMS.map((vm) => `${workflowId}/${vm}`).sort(), 'one child per disk');
  assert.deepEqual([...new Set(perDisk.values())], [1], 'each disk backed up by exactly one run');

  for (const d of summary.backedUp) {
    const rows = await versions(imageOf(d.id));
    assert.equal(rows.length, 1, `${d.id}: exactly one version, none half-made: ${JSON.stringify(rows)}`);
    assert.ok(rows[0]!.valid && rows[0]!.uid === d.versionUid, `${d.id}: it is the valid version the night reported`);
    assert.deepEqual(await snapshotNames(imageOf(d.id)), [rows[0]!.snapshot], `${d.id}: one snapshot, the version's`);
  }
  // The disks around the kill restore byte-identical to their snapshots.
  for (const vm of VMS.slice(8, 12)) {
    const [row] = await versions(imageOf(vm));
    const hashes = await restoreAndSnapshotHashes(HOST, imageOf(vm), row!.snapshot, row!.uid);
    assert.equal(hashes.restored, hashes.snapshot, `${vm}: restore is byte-identical`);
  }
});

test('with Temporal down, `vmbackup restore` exits 4 at once naming the address and what to do; nothing changes', { timeout: 120_000 }, async () => {
  const vm = VMS[0]!;
  const image = imageOf(vm);
  const [hashBefore, snapsBefore] = [await imageHash(image), await snapshotNames(image)];
  await server.kill('SIGKILL');
  const t0 = Date.now();
  const r = await vmbackupWith(configFile, 'restore', vm, '--yes');
  const seconds = (Date.now() - t0) / 1000;
  await server.start();

  assert.equal(r.exitCode, 4, r.stderr);
  assert.ok(seconds < 20, `it failed fast (${seconds.toFixed(1)} s)`);
  assert.match(r.stderr, new RegExp(`cannot reach Temporal at ${server.address.replaceAll('.', '\\.')}`));
  assert.match(r.stderr, new RegExp(`hint: .*temporal\\.address in ${configFile.replaceAll('.', '\\.')}`));
  assert.equal(await imageHash(image), hashBefore, 'the disk is untouched');
  assert.deepEqual(await snapshotNames(image), snapsBefore);
  assert.deepEqual((await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(`${image}.`)), [], 'nothing moved aside');
  const restores: string[] = [];
  for await (const wf of client!.workflow.list({ query: 'WorkflowType = "restoreInstance"' })) restores.push(wf.workflowId);
  assert.deepEqual(restores, [], 'no restore (nor its dry run) was started');
});

/**
 * Restores `vm` to its version with the CLI watching, and takes the server away for `outageSeconds`
 * (the fault's length, not synchronisation) while the restore is parked before its copy; `cliOptions` go before `restore`.
 * Asserts the disk ends byte-identical to the version and the workflow completed; returns what the CLI printed.
 */
async function restoreThroughOutage(vm: string, outageSeconds: number, cliOptions: string[] = []) {
  const image = imageOf(vm);
  const [row] = await versions(image);
  const wanted = await imageHash(`${image}@${row!.snapshot}`);
  await changeBlocks(image, DISK_SIZE, 2);
  assert.notEqual(await imageHash(image), wanted, 'the disk differs from the version before the restore');

  console.log(`# the worker polled the restarted server again after ${await workerPollsAgain()} s`);
  hold.arm('restore.before-restore', image);
  const cli = spawnVmbackupWith(configFile, ...cliOptions, 'restore', vm, '--version', row!.uid, '--yes');
  // The CLI has started the workflow and is watching it; the restore is parked before its copy.
  await cli.stderrShows(/started restore of VM/);
  await hold.held('restore.before-restore');
  await server.kill('SIGKILL');
  await sleep(outageSeconds * 1000);
  await server.start();
  hold.release('restore.before-restore');

  const r = await cli.done;
  console.log(`# the CLI exited ${r.exitCode}; its stderr:\n${r.stderr.replace(/^/gm, '#   ')}`);
  // Whatever the CLI said, the restore runs on: its end is what the disk is checked after.
  const [restore] = await findWorkflows(client!, `WorkflowType = "restoreInstance" AND WorkflowId STARTS_WITH "restore/${vm}/"`);
  const handle = client!.workflow.getHandle(restore!.workflowId);
  await handle.result();
  assert.equal((await handle.describe()).status.name, 'COMPLETED');
  assert.equal(await imageHash(image), wanted, 'the disk is byte-identical to the version');
  return r;
}

test('Temporal down for 5 s while the CLI watches a restore: the restore completes byte-identical and the CLI reports it', { timeout: 300_000 }, async () => {
  const r = await restoreThroughOutage(VMS[1]!, 5);
  assert.equal(r.exitCode, 0, `the CLI reports the restore:\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`RESTORED\\s+${imageOf(VMS[1]!)}`));
});

test('Temporal down for 45 s, longer than the client retries on its own: the CLI says so, reconnects and reports the restore', { timeout: 300_000 }, async () => {
  const r = await restoreThroughOutage(VMS[2]!, 45);
  assert.equal(r.exitCode, 0, `the CLI reports the restore:\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`RESTORED\\s+${imageOf(VMS[2]!)}`));
  assert.match(r.stderr, new RegExp(`lost Temporal at ${server.address.replaceAll('.', '\\.')}.*the restore goes on`));
  assert.match(r.stderr, /reconnected to Temporal at/);
  assert.doesNotMatch(r.stderr, /Channel has been shut down|\n\s+at /, 'no stack trace');
});

test('Temporal down for 30 s with `--reconnect 0`: the CLI exits 4 saying the restore goes on and where to follow it; the restore completes byte-identical', { timeout: 300_000 }, async () => {
  const r = await restoreThroughOutage(VMS[3]!, 30, ['--reconnect', '0']);
  assert.equal(r.exitCode, 4, r.stderr);
  assert.match(r.stderr, new RegExp(`error: lost Temporal at ${server.address.replaceAll('.', '\\.')} while watching restore restore/${VMS[3]}/\\S+; .*The restore goes on without the CLI`));
  assert.match(r.stderr, /hint: Once Temporal at \S+ is up again, follow the restore at http\S+ or with `vmbackup status`/);
  assert.doesNotMatch(r.stderr, /Channel has been shut down|\n\s+at /, 'no stack trace');
});
