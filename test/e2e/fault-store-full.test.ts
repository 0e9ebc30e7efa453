// The backup store's filesystem full in the middle of a copy (issue 10, fault 5).
//
// Two layouts, each a test-only host with a 64 MiB tmpfs: backup1 keeps only
// its backy2 data folder there (metadata on the ordinary disk); backup2 keeps
// its whole store there, metadata database included, as the local stack lays
// a store out. A first full backup of a 32 MiB disk fits;
// then a filler file leaves 6 MiB free, 3 blocks (12 MiB) of the disk change,
// and the incremental runs out of space after its first block. With only the
// data full, backy2 2.9 does not notice that itself: its writer threads die
// with ENOSPC while it marks the version valid and exits 0
// (activities/engine/backy2-write-failures.ts). With the metadata on the same
// filesystem, it fails on "database or disk is full" and leaves the version
// invalid, and cannot even remove it until space is back.
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
const CONFIG = join(DIR, 'config.yaml');
const INVENTORY = join(DIR, 'inventory.yaml');
const SIZE = 32 * MiB;
/** temporal.api.enums.v1.RetryState: the failure's type is in the retry policy's non-retryable list. */
const RETRY_STATE_NON_RETRYABLE_FAILURE = 2;

/** One layout: a host, its tmpfs, its store's config, and the disk it backs up. */
interface Case {
  host: string;
  mount: string;
  cfg: string;
  vm: string;
  image: string;
  project: string;
}
const run = uniqueVmId('full');
const caseOf = (host: string, mount: string, vm: string): Case => ({ host, mount, cfg: '', vm, image: `${vm}_disk`, project: `${run}-${host}` });
/** backup1: only the data folder on the small filesystem. */
const dataOnly = caseOf('backup1', join(DIR, 'backup1', 'data'), `${run}-data`);
/** backup2: the whole store (data and metadata database) on it. */
const wholeStore = caseOf('backup2', join(DIR, 'backup2-mount'), `${run}-whole`);
const CASES = [dataOnly, wholeStore];
const mounted: string[] = [];
const workers: WorkerProcess[] = [];
let client: Client;

const cli = (...args: string[]) => vmbackupWith(CONFIG, ...args);

async function backup(c: Case, ...extra: string[]): Promise<BackupResult & { workflowId: string }> {
  const r = await cli('-o', 'json', 'backup', c.vm, '--host', c.host, '--wait', ...extra);
  assert.equal(r.exitCode, 0, r.stderr);
  return JSON.parse(r.stdout) as BackupResult & { workflowId: string };
}

/** The store's versions of the disk, as `backy2 -m ls` prints them: [uid, valid]. */
async function versions(c: Case): Promise<Array<[string, boolean]>> {
  const { stdout } = await execa(config.engine.bin, ['-m', '-c', c.cfg, 'ls', c.image]);
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('version|'))
    .map((l) => l.split('|'))
    .map((f) => [f[6]!, f[7] === '1']);
}

async function restoredHash(c: Case, uid: string): Promise<string> {
  const file = join(DIR, `${uid}.img`);
  await execa(config.engine.bin, ['-c', c.cfg, 'restore', uid, `file://${file}`]);
  const hash = await sha256File(file);
  rmSync(file);
  return hash;
}

async function snapshotHash(c: Case, snapshot: string): Promise<string> {
  const file = join(DIR, `${snapshot}.img`);
  await exportToFile(`${c.image}@${snapshot}`, file);
  const hash = await sha256File(file);
  rmSync(file);
  return hash;
}

before(async () => {
  for (const c of CASES) {
    mkdirSync(c.mount, { recursive: true });
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', c.mount]);
    mounted.push(c.mount);
  }
  dataOnly.cfg = await makePrivateStore(join(DIR, 'backup1'), { dataDir: dataOnly.mount });
  wholeStore.cfg = await makePrivateStore(wholeStore.mount);
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  writeFileSync(INVENTORY, yaml.dump({ vms: Object.fromEntries(CASES.map((c) => [c.vm, { name: c.vm, project: c.project }])) }));
  writeFileSync(
    CONFIG,
    yaml.dump({
      ...base,
      hosts: CASES.map((c) => ({ name: c.host, backy2_config: c.cfg, state_dir: join(DIR, `${c.host}-state`) })),
      // Other test files' disks in the pool are not in this inventory: the night skips them `no-project`.
      inventory: { driver: 'local', file: INVENTORY, max_vanished_share: 1 },
      project_assignments: { projects: Object.fromEntries(CASES.map((c) => [c.project, c.host])) },
    }),
  );
  for (const c of CASES) await createDisk(c.vm, SIZE);
  for (const c of CASES) workers.push(await startWorker(c.host, CONFIG));
  client = await connectClient();
});

after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await client?.connection.close();
  for (const c of CASES) await removeDisk(c.image).catch(() => undefined);
  for (const mount of mounted) await execa('umount', [mount]);
  rmSync(DIR, { recursive: true, force: true });
});

/** A first full backup that fits, then a filler leaving 6 MiB (one of the 3 changed blocks fits), then the failing run. */
async function fillUp(c: Case): Promise<{ first: BackupResult; firstHash: string; failed: { exitCode: number; stderr: string } }> {
  const first = await backup(c);
  assert.equal(first.plan.kind, 'full');
  const firstHash = await snapshotHash(c, first.plan.snapshot);
  const { bavail, bsize } = statfsSync(c.mount);
  writeFileSync(join(c.mount, 'filler'), Buffer.alloc(bavail * bsize - 6 * MiB));
  await changeBlocks(c.image, SIZE, 3, 4 * MiB);
  const started = Date.now();
  const failed = await cli('backup', c.vm, '--host', c.host, '--wait', '--again');
  assert.equal(failed.exitCode, 1, `${failed.stdout}\n${failed.stderr}`);
  assert.match(failed.stderr, /Free space there/);

  // Not retried: one copy attempt, failed as StoreFullError, not 30 attempts each reading the disk again.
  const runs = await findWorkflows(client, `Operation = "backup" AND VmId = "${c.vm}" AND ExecutionStatus = "Failed"`);
  assert.equal(runs.length, 1);
  const history = await client.workflow.getHandle(runs[0]!.workflowId).fetchHistory();
  const copies = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'finishBackup');
  const failures = history.events!.filter((e) => e.activityTaskFailedEventAttributes);
  assert.equal(copies.length, 1);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.activityTaskFailedEventAttributes!.failure!.applicationFailureInfo!.type, 'StoreFullError');
  assert.equal(failures[0]!.activityTaskFailedEventAttributes!.retryState, RETRY_STATE_NON_RETRYABLE_FAILURE);
  assert.ok(Date.now() - started < 60_000, `failed within a minute, took ${Date.now() - started} ms`);
  return { first, firstHash, failed };
}

/** Space back: the next run is full (no snapshot of this host is left), valid, byte-identical; returns its uid. */
async function afterSpaceIsBack(c: Case): Promise<string> {
  rmSync(join(c.mount, 'filler'));
  const next = await backup(c, '--again');
  assert.equal(next.plan.kind, 'full');
  assert.match(next.plan.reason, new RegExp(`no earlier snapshot by ${c.host}`));
  assert.deepEqual(await snapshotNames(c.image), [next.plan.snapshot]);
  assert.equal(await restoredHash(c, next.versionUid!), await snapshotHash(c, next.plan.snapshot));
  return next.versionUid!;
}

test('the data store fills up mid-copy: the backup fails at once saying so (backy2 itself called it valid), nothing half-valid or leaked; with space back the next run restores byte-identical', { timeout: 300_000 }, async () => {
  const c = dataOnly;
  const { first, firstHash, failed } = await fillUp(c);
  assert.match(failed.stderr, /backup store full: backy2 could not write .*_disk@\S+_backup1 to \S+\/data \(data store of \S+backy\.cfg\): .*No space left on device/);
  assert.ok(failed.stderr.includes(`to ${c.mount} (`), `the error names the store's path ${c.mount}:\n${failed.stderr}`);

  // The night says the same in its summary, for the disk, and completes (one disk's failure never stops a night).
  const night = await cli('-o', 'json', 'run-nightly', '--host', c.host, '--wait');
  assert.equal(night.exitCode, 1, night.stderr);
  const [summary] = JSON.parse(night.stdout) as NightlySummary[];
  assert.deepEqual(
    summary!.failed.map((f) => f.id),
    [c.vm],
  );
  assert.match(summary!.failed[0]!.error, new RegExp(`^backup store full: backy2 could not write ${c.image}@\\S+ to ${c.mount} `));

  // What the operator checks: the earlier version alone, valid; no version of the failed run, valid or not.
  assert.deepEqual(await versions(c), [[first.versionUid, true]]);
  // Today's snapshot had no version and went; the old one went while the copy ran: nothing left to leak.
  assert.deepEqual(await snapshotNames(c.image), []);
  assert.equal(await restoredHash(c, first.versionUid!), firstHash, 'the earlier version still restores byte-identical');

  const next = await afterSpaceIsBack(c);
  assert.deepEqual(await versions(c), [
    [first.versionUid, true],
    [next, true],
  ]);
});

test('the whole store (metadata too) fills up mid-copy: the same failure naming the store, the half version invalid, never valid', { timeout: 300_000 }, async () => {
  const c = wholeStore;
  const { first, firstHash, failed } = await fillUp(c);
  assert.ok(failed.stderr.includes(`backup store full: backy2 could not write ${c.image}@`), failed.stderr);
  // Whichever ran out first in backy2's last lines, data or metadata, both live on the full filesystem.
  const where = [` to ${c.mount}/data (data store of ${c.cfg}): `, ` to ${c.mount}/backy.sqlite (metadata database of ${c.cfg}): `];
  assert.ok(where.some((w) => failed.stderr.includes(w)), failed.stderr);
  assert.match(failed.stderr, /No space left on device|database or disk is full/);

  // backy2 could not even remove the half version while full: it stays, invalid (remove-invalids takes it).
  const [kept, ...half] = await versions(c);
  assert.deepEqual(kept, [first.versionUid, true]);
  assert.ok(half.every(([, valid]) => !valid), `no valid half version: ${JSON.stringify(half)}`);
  assert.deepEqual(await snapshotNames(c.image), []);
  assert.equal(await restoredHash(c, first.versionUid!), firstHash, 'the earlier version still restores byte-identical');

  const next = await afterSpaceIsBack(c);
  assert.deepEqual((await versions(c)).filter(([, valid]) => valid), [
    [first.versionUid, true],
    [next, true],
  ]);
});
