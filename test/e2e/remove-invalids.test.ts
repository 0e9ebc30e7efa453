// `vmbackup remove-invalids` on the real stack: an invalid version goes; a
// protected one, a valid one, and the invalid version of a disk whose backup
// runs right now stay; --dry-run removes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { sqliteMetaPath } from '../../activities/engine/backy2-sqlite-meta.ts';
import type { RemoveInvalidsResult } from '../../lib/operations/remove-invalids.ts';
import { vmbackup, vmbackupJson } from '../support/cli.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { backy2, config, uniqueVmId } from '../support/stack.ts';
import { startRunningOperation, type RunningOperation } from '../support/running-operation.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

type Report = { dryRun: boolean; plan?: string; hosts: RemoveInvalidsResult[]; errors: Array<{ host: string; error: string }> };

const HOST = 'backup1';
const DB = sqliteMetaPath(config.hosts.find((h) => h.name === HOST)!.backy2_config)!;
const vm = uniqueVmId('invalid');
const busyVm = uniqueVmId('invalid-busy');
let worker: WorkerProcess;
let client: Client;
const images: string[] = [];
const uids: { failed?: string; kept?: string; valid?: string; busy?: string } = {};
let busy: RunningOperation;

const backupUid = async (id: string, ...extra: string[]) => (await vmbackupJson<{ versionUid: string }>('backup', id, '--host', HOST, '--wait', ...extra)).versionUid;

/**
 * Marks a version invalid and a day old, as backy2 leaves one whose backup failed
 * or was killed mid-copy last night: it stands in for a failed backup, which
 * cannot be had on cue. (A younger invalid version is kept: its backup may still run.)
 */
const markInvalid = (uid: string) =>
  execa('sqlite3', ['-cmd', '.timeout 10000', DB, `UPDATE versions SET valid = 0, date = datetime(date, '-1 day') WHERE uid = '${uid}'`]);

/** The uids of this test's versions in the store (through the real backy2). */
async function storeUids(): Promise<string[]> {
  const ours = Object.values(uids);
  return (await backy2(HOST, '-m', 'ls'))
    .split('\n')
    .flatMap((line) => ours.filter((uid) => line.includes(uid)))
    .sort();
}

before(async () => {
  worker = await startWorker(HOST);
  client = await connectClient();
  images.push(await createDisk(vm, 8 * MiB), await createDisk(busyVm, 4 * MiB));
  uids.failed = await backupUid(vm);
  uids.kept = await backupUid(vm, '--again');
  uids.valid = await backupUid(vm, '--again');
  uids.busy = await backupUid(busyVm);
  for (const uid of [uids.failed, uids.kept, uids.busy]) await markInvalid(uid);
  await backy2(HOST, 'protect', uids.kept);
  // A backup of busyVm that is running right now.
  busy = await startRunningOperation(client, { operation: 'backup', workflowType: 'backupInstance', vmId: busyVm, host: HOST });
});

after(async () => {
  await busy?.end();
  await worker?.stop();
  await client?.connection.close();
  // Leave no invalid versions behind for later runs to find.
  if (uids.kept) await backy2(HOST, 'unprotect', uids.kept).catch(() => undefined);
  for (const uid of [uids.kept, uids.busy]) if (uid) await backy2(HOST, 'rm', '-f', uid).catch(() => undefined);
  for (const image of images) await removeDisk(image);
});

const ours = (r: Report) =>
  r.hosts
    .flatMap((h) => h.versions)
    .filter((v) => Object.values(uids).includes(v.uid))
    .map((v) => `${v.uid} ${v.state}${v.removed ? ' removed' : ''}`)
    .sort();

test('remove-invalids removes an invalid version; protected, valid and in-use ones stay; --dry-run removes nothing', async () => {
  const all = Object.values(uids).sort();
  assert.deepEqual(await storeUids(), all);

  const plan = await vmbackupJson<Report>('remove-invalids', '--host', HOST, '--dry-run');
  assert.deepEqual(plan.errors, []);
  assert.deepEqual(ours(plan), [`${uids.failed} invalid`, `${uids.kept} protected`, `${uids.busy} in-use`].sort());
  assert.deepEqual(await storeUids(), all, 'a dry run removes nothing');

  const table = await vmbackup('remove-invalids', '--host', HOST, '--yes', '--plan', plan.plan!);
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`${uids.failed}\\s+removed`));
  assert.match(table.stdout, new RegExp(`${uids.kept}\\s+kept: protected`));
  assert.match(table.stdout, new RegExp(`${uids.busy}\\s+kept: backup ${busy.workflowId.replaceAll('/', '\\/')}`));
  assert.deepEqual(await storeUids(), all.filter((u) => u !== uids.failed), 'only the invalid, unprotected, idle version went');

  const again = await vmbackupJson<Report>('remove-invalids', '--host', HOST, '--dry-run');
  assert.deepEqual(ours(again), [`${uids.kept} protected`, `${uids.busy} in-use`].sort());
});
