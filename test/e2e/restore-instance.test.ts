// restoreInstance end to end on the real stack, with the `none` compute driver
// (the local stack has no VMs; the OpenStack driver has its own test).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { sqliteMetaPath } from '../../activities/engine/backy2-sqlite-meta.ts';
import type { AsidePurgeResult } from '../../activities/aside-activities.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { RestoreResult } from '../../lib/operations/restore.ts';
import { vmbackup, vmbackupJson } from '../support/cli.ts';
import { changeBlocks, createDisk, exportToFile, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { config, POOL, rbd, sha256File, uniqueVmId } from '../support/stack.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const SIZE = 128 * MiB;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-restore-'));
const images: string[] = [];
let workers: WorkerProcess[] = [];

before(async () => {
  workers = await Promise.all(config.hosts.map((h) => startWorker(h.name)));
});
after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const image of images) await removeDisk(image);
  const leftovers = (await rbd('ls', POOL)).split('\n').filter((i) => images.some((img) => i.startsWith(`${img}.vmbackup-aside-`)));
  for (const image of leftovers) await removeDisk(image);
  rmSync(tmp, { recursive: true, force: true });
});

async function imageHash(spec: string): Promise<string> {
  const file = join(tmp, `${spec.replaceAll('/', '_')}-${Date.now()}.img`);
  await exportToFile(spec, file);
  const hash = await sha256File(file);
  rmSync(file);
  return hash;
}

/** A disk with two backups and a change between them; returns both versions and the hashes of their snapshots. */
async function diskWithTwoBackups(prefix: string) {
  const vm = uniqueVmId(prefix);
  const image = await createDisk(vm, SIZE, SIZE / 2);
  images.push(image);
  const first = await vmbackupJson<BackupResult>('backup', vm, '--wait');
  const firstHash = await imageHash(`${image}@${first.plan.snapshot}`);
  await changeBlocks(image, SIZE, 4);
  const second = await vmbackupJson<BackupResult>('backup', vm, '--wait', '--again');
  return { vm, image, first, second, firstHash, currentHash: await imageHash(image) };
}

describe('restoreInstance', () => {
  test("restoring the first day's version gives that day's bytes; the replaced disk is kept aside", async () => {
    const d = await diskWithTwoBackups('rst');
    assert.notEqual(d.firstHash, d.currentHash);
    const plan = await vmbackupJson<RestoreResult>('restore', d.vm, '--version', d.first.versionUid!, '--dry-run');
    assert.equal(plan.dryRun, true);
    assert.equal(await imageHash(d.image), d.currentHash, 'a dry run changes nothing');

    const r = await vmbackupJson<RestoreResult>('restore', d.vm, '--version', d.first.versionUid!, '--yes');
    assert.equal(r.versionUid, d.first.versionUid);
    assert.equal(await imageHash(d.image), d.firstHash, 'the disk is byte-identical to the first backup’s snapshot');
    assert.ok(r.asideImage?.startsWith(`${d.image}.vmbackup-aside-`));
    assert.equal(await imageHash(r.asideImage!), d.currentHash, 'the replaced disk is kept, unchanged');
    // The restore completed, so purge-aside may take its aside image once keep_aside_days have passed (a later date only looks).
    const later = await vmbackupJson<AsidePurgeResult>('purge-aside', '--dry-run', '--as-of', '2099-01-01T00:00:00Z');
    assert.ok(later.removed.some((x) => x.image === r.asideImage), 'the aside image of a completed restore is marked for a later purge');

    // The next backup of the restored disk starts a new chain: full, one snapshot.
    const next = await vmbackupJson<BackupResult>('backup', d.vm, '--wait', '--again');
    assert.equal(next.plan.kind, 'full');
    assert.deepEqual(await snapshotNames(d.image), [next.plan.snapshot]);
  });

  test('--at picks the newest valid version made by then', async () => {
    const d = await diskWithTwoBackups('at');
    const r = await vmbackupJson<RestoreResult>('restore', d.vm, '--at', new Date().toISOString().slice(0, 10), '--dry-run');
    assert.equal(r.versionUid, d.second.versionUid);
  });

  test('a restore whose backy2 step fails leaves the original disk in place, byte-identical', async () => {
    const d = await diskWithTwoBackups('fail');
    // Lose one block of the first version from the store, as a damaged backup disk would.
    const host = config.hosts[0]!;
    const db = sqliteMetaPath(host.backy2_config)!;
    const { stdout: blob } = await execa('sqlite3', [db, `SELECT uid FROM blocks WHERE version_uid = '${d.first.versionUid}' AND uid IS NOT NULL LIMIT 1`]);
    const { stdout: file } = await execa('find', [join(db, '..', 'data'), '-name', `${blob.trim()}*`]);
    assert.ok(file.trim() && existsSync(file.trim()), 'found a block of the version in the store');
    rmSync(file.trim());

    const r = await vmbackup('-o', 'json', 'restore', d.vm, '--version', d.first.versionUid!, '--yes');
    assert.equal(r.exitCode, 1, r.stderr);
    assert.equal(await imageHash(d.image), d.currentHash, 'the original disk is back, byte-identical');
    const asides = (await rbd('ls', POOL)).split('\n').filter((i) => i.startsWith(`${d.image}.vmbackup-aside-`));
    assert.deepEqual(asides, [], 'nothing is left aside');
    assert.deepEqual(await snapshotNames(d.image), [d.second.plan.snapshot], 'the original keeps its backup snapshot');
  });

  test('bad input gets a clear error and changes nothing', async () => {
    const d = await diskWithTwoBackups('bad');
    const other = await diskWithTwoBackups('other');
    const cases: Array<[string[], number, RegExp]> = [
      [['restore', uniqueVmId('ghost'), '--yes'], 3, /has no backup on any backup host/],
      [['restore', d.vm, '--version', '00000000-0000-0000-0000-000000000000', '--yes'], 3, /no version 00000000-0000-0000-0000-000000000000/],
      [['restore', d.vm, '--version', 'not-a-uid', '--yes'], 2, /is not a version uid/],
      [['restore', d.vm, '--at', '2001-01-01', '--yes'], 3, /no valid backup at or before 2001-01-01/],
      // `yesterday` is a date like any other (lib/time-spec.ts); a day no calendar has is not.
      [['restore', d.vm, '--at', '2026-02-30', '--yes'], 2, /--at '2026-02-30': no such day; accepted: /],
      [['restore', d.vm, '--at', 'last tuesday', '--yes'], 2, /--at 'last tuesday': not a date, time or span/],
      [['restore', d.vm, '--version', other.first.versionUid!, '--yes'], 2, new RegExp(`is a backup of ${other.image}, not of VM ${d.vm}`)],
      // Off a terminal, without --yes: refused before anything is started (not even the plan).
      [['restore', d.vm, '--version', d.first.versionUid!], 2, /restore overwrites a VM's disk and needs --dry-run or --yes off a terminal; nothing was started/],
    ];
    for (const [args, code, message] of cases) {
      const r = await vmbackup(...args);
      assert.equal(r.exitCode, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(await imageHash(d.image), d.currentHash, 'the disk is unchanged');
    assert.equal(await imageHash(other.image), other.currentHash);
  });
});
