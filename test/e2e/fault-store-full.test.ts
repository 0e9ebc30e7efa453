// The backup store's filesystem full in the middle of a copy (issue 10, fault 5).
//
// A test-only backup1 whose backy2 data folder is a 64 MiB tmpfs (metadata
// beside it, on the ordinary disk). A first full backup of a 32 MiB disk fits;
// then a filler file leaves 6 MiB free, 3 blocks (12 MiB) of the disk change,
// and the incremental runs out of space after its first block. backy2 2.9 does
// not notice that itself: its writer threads die with ENOSPC while it marks
// the version valid and exits 0 (activities/engine/backy2-write-failures.ts).
// What the operator must see: the backup fails at once (no retries: a full
// store stays full) saying the store is full and where, from `vmbackup backup`
// and in the night's summary; no valid half version;
// no snapshot left behind; the earlier version intact. With the filler gone,
// the next run is a full backup that restores byte-identical.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import yaml from 'js-yaml';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { changeBlocks, createDisk, exportToFile, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { makePrivateStore } from '../support/private-store.ts';
import { config, CONFIG_FILE, ROOT, sha256File, uniqueVmId } from '../support/stack.ts';
import { connectClient, findWorkflows } from '../support/temporal.ts';

const DIR = `${ROOT}.stack/test/store-full-${process.pid}`;
const MOUNT = join(DIR, 'data');
const CONFIG = join(DIR, 'config.yaml');
const FILLER = join(MOUNT, 'filler');
const INVENTORY = join(DIR, 'inventory.yaml');
const PROJECT = 'store-full';
const SIZE = 32 * MiB;
const HOST = 'backup1';
/** temporal.api.enums.v1.RetryState: the failure's type is in the retry policy's non-retryable list. */
const RETRY_STATE_NON_RETRYABLE_FAILURE = 2;

const vm = uniqueVmId('full');
const image = `${vm}_disk`;
let storeCfg: string;
let mounted = false;
let worker: WorkerProcess | undefined;
let client: Client;

const cli = (...args: string[]) => vmbackupWith(CONFIG, ...args);

async function backup(...extra: string[]): Promise<BackupResult & { workflowId: string }> {
  const r = await cli('-o', 'json', 'backup', vm, '--wait', ...extra);
  assert.equal(r.exitCode, 0, r.stderr);
  return JSON.parse(r.stdout) as BackupResult & { workflowId: string };
}

/** The store's versions of the disk, as `backy2 -m ls` prints them: [uid, valid]. */
async function versions(): Promise<Array<[string, boolean]>> {
  const { stdout } = await execa(config.engine.bin, ['-m', '-c', storeCfg, 'ls', image]);
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('version|'))
    .map((l) => l.split('|'))
    .map((f) => [f[6]!, f[7] === '1']);
}

async function restoredHash(uid: string): Promise<string> {
  const file = join(DIR, `${uid}.img`);
  await execa(config.engine.bin, ['-c', storeCfg, 'restore', uid, `file://${file}`]);
  const hash = await sha256File(file);
  rmSync(file);
  return hash;
}

async function snapshotHash(snapshot: string): Promise<string> {
  const file = join(DIR, `${snapshot}.img`);
  await exportToFile(`${image}@${snapshot}`, file);
  const hash = await sha256File(file);
  rmSync(file);
  return hash;
}

before(async () => {
  mkdirSync(MOUNT, { recursive: true });
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', MOUNT]);
  mounted = true;
  storeCfg = await makePrivateStore(DIR, { dataDir: MOUNT });
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  writeFileSync(INVENTORY, yaml.dump({ vms: { [vm]: { name: 'full-test', project: PROJECT } } }));
  writeFileSync(
    CONFIG,
    yaml.dump({
      ...base,
      hosts: [{ name: HOST, backy2_config: storeCfg, state_dir: join(DIR, 'state') }],
      // Other test files' disks in the pool are not in this inventory: the night skips them `no-project`.
      inventory: { driver: 'local', file: INVENTORY, max_vanished_share: 1 },
      project_assignments: { default: HOST },
    }),
  );
  await createDisk(vm, SIZE);
  worker = await startWorker(HOST, CONFIG);
  client = await connectClient();
});

after(async () => {
  await worker?.stop();
  await client?.connection.close();
  await removeDisk(image).catch(() => undefined);
  if (mounted) await execa('umount', [MOUNT]);
  rmSync(DIR, { recursive: true, force: true });
});

test('a store that fills up mid-copy: the backup fails at once saying so, nothing half-valid or leaked; with space back the next run restores byte-identical', { timeout: 300_000 }, async () => {
  const first = await backup();
  assert.equal(first.plan.kind, 'full');
  const firstHash = await snapshotHash(first.plan.snapshot);

  // Leave 6 MiB: room for one 4 MiB block of the 3 that change.
  const { bavail, bsize } = statfsSync(MOUNT);
  writeFileSync(FILLER, Buffer.alloc(bavail * bsize - 6 * MiB));
  await changeBlocks(image, SIZE, 3, 4 * MiB);

  const started = Date.now();
  const failed = await cli('backup', vm, '--wait', '--again');
  assert.equal(failed.exitCode, 1, `${failed.stdout}\n${failed.stderr}`);
  assert.match(failed.stderr, /backup store full: backy2 could not write .*_disk@\S+_backup1 to \S+\/data \(data store of \S+backy\.cfg\): .*No space left on device/);
  assert.ok(failed.stderr.includes(`to ${MOUNT} (`), `the error names the store's path ${MOUNT}:\n${failed.stderr}`);
  assert.match(failed.stderr, /Free space there/);

  // Not retried: one copy attempt, failed as StoreFullError, not 30 attempts each reading the disk again.
  const runs = await findWorkflows(client, `Operation = "backup" AND VmId = "${vm}" AND ExecutionStatus = "Failed"`);
  assert.equal(runs.length, 1);
  const history = await client.workflow.getHandle(runs[0]!.workflowId).fetchHistory();
  const copies = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'finishBackup');
  const failures = history.events!.filter((e) => e.activityTaskFailedEventAttributes);
  assert.equal(copies.length, 1);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.activityTaskFailedEventAttributes!.failure!.applicationFailureInfo!.type, 'StoreFullError');
  assert.equal(failures[0]!.activityTaskFailedEventAttributes!.retryState, RETRY_STATE_NON_RETRYABLE_FAILURE);
  assert.ok(Date.now() - started < 60_000, `failed within a minute, took ${Date.now() - started} ms`);

  // The night says the same in its summary, for the disk, and completes (one disk's failure never stops a night).
  const night = await cli('-o', 'json', 'run-nightly', '--host', HOST, '--wait');
  assert.equal(night.exitCode, 1, night.stderr);
  const [summary] = JSON.parse(night.stdout) as NightlySummary[];
  assert.deepEqual(
    summary!.failed.map((f) => f.id),
    [vm],
  );
  assert.match(summary!.failed[0]!.error, new RegExp(`^backup store full: backy2 could not write ${image}@\\S+ to ${MOUNT} `));

  // What the operator checks: the earlier version alone, valid; no version of the failed run, valid or not.
  assert.deepEqual(await versions(), [[first.versionUid, true]]);
  // Today's snapshot had no version and went; the old one went while the copy ran: nothing left to leak.
  assert.deepEqual(await snapshotNames(image), []);
  assert.equal(await restoredHash(first.versionUid!), firstHash, 'the earlier version still restores byte-identical');

  // Space back: the next run is full (no snapshot of this host is left) and restores byte-identical.
  rmSync(FILLER);
  const next = await backup('--again');
  assert.equal(next.plan.kind, 'full');
  assert.match(next.plan.reason, /no earlier snapshot by backup1/);
  assert.deepEqual(await snapshotNames(image), [next.plan.snapshot]);
  assert.deepEqual(await versions(), [
    [first.versionUid, true],
    [next.versionUid, true],
  ]);
  assert.equal(await restoredHash(next.versionUid!), await snapshotHash(next.plan.snapshot));
});
