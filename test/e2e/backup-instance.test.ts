// backupInstance end to end on the real stack: Temporal dev server, one-node
// Ceph, backy2 2.9.17 and real worker processes. Nothing is mocked.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { vmbackup, vmbackupJson } from '../support/cli.ts';
import { changeBlocks, createDisk, exportToFile, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { backy2, sha256File, uniqueVmId } from '../support/stack.ts';
import { connectClient, findWorkflows } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const HOST = 'backup1';
const SIZE = 256 * MiB;
const BLOCK = 4 * MiB;

type BackupRun = BackupResult & { workflowId: string; attached: boolean };

let workers: WorkerProcess[] = [];
let client: Client;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-test-'));
const images: string[] = [];

before(async () => {
  // Both hosts of the config run a worker, as in production: `ls` asks every host.
  workers = await Promise.all(['backup1', 'backup2'].map((h) => startWorker(h)));
  client = await connectClient();
});

after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await client?.connection.close();
  for (const image of images) await removeDisk(image);
  rmSync(tmp, { recursive: true, force: true });
});

/** Restores a version with the real backy2 to a file and returns its sha256. */
async function restoredHash(uid: string): Promise<string> {
  const file = join(tmp, `${uid}.img`);
  await backy2(HOST, 'restore', uid, `file://${file}`);
  const hash = await sha256File(file);
  rmSync(file);
  return hash;
}

describe('backupInstance', () => {
  test('first backup is full, the next is incremental and reads about what changed; both restore byte-identical', async () => {
    const vm = uniqueVmId('inc');
    const image = await createDisk(vm, SIZE);
    images.push(image);

    const first = await vmbackupJson<BackupRun>('backup', vm, '--wait');
    assert.equal(first.plan.kind, 'full');
    assert.match(first.plan.reason, /no earlier snapshot/);
    assert.ok(first.tags.includes('full_backup'));
    assert.deepEqual(await snapshotNames(image), [first.plan.snapshot], 'exactly one backup snapshot after the first run');
    assert.match(first.plan.snapshot, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d_backup1$/);
    const firstSnapshotFile = join(tmp, 'first.img');
    await exportToFile(`${image}@${first.plan.snapshot}`, firstSnapshotFile);

    const changed = await changeBlocks(image, SIZE, 3); // 3 MiB in 3 different 4 MiB blocks
    const second = await vmbackupJson<BackupRun>('backup', vm, '--wait', '--again');
    assert.equal(second.plan.kind, 'incremental');
    assert.equal(second.plan.baseUid, first.versionUid);
    assert.ok(second.tags.includes('differential_backup'));
    assert.deepEqual(second.removedSnapshots, [first.plan.snapshot]);
    assert.deepEqual(await snapshotNames(image), [second.plan.snapshot], 'exactly one backup snapshot after the second run');
    // backy2 reads the hinted blocks plus a 1 % sanity sample of the others: far less than the disk.
    assert.ok(second.hintedBytes >= changed && second.hintedBytes <= 3 * BLOCK, `hinted ${second.hintedBytes}`);
    assert.ok(second.bytesRead! <= 3 * BLOCK + 2 * BLOCK, `read ${second.bytesRead} for ${changed} changed`);
    assert.ok(second.bytesRead! < SIZE / 8, 'an incremental backup must not read the whole disk');
    assert.equal(first.bytesRead, SIZE, 'the full backup read the whole (fully written) disk');

    const secondSnapshotFile = join(tmp, 'second.img');
    await exportToFile(`${image}@${second.plan.snapshot}`, secondSnapshotFile);
    assert.equal(await restoredHash(first.versionUid!), await sha256File(firstSnapshotFile), 'first version restores byte-identical');
    assert.equal(await restoredHash(second.versionUid!), await sha256File(secondSnapshotFile), 'second version restores byte-identical');
    assert.notEqual(await sha256File(firstSnapshotFile), await sha256File(secondSnapshotFile));

    const listed = await vmbackupJson<{ versions: Array<{ uid: string; valid: boolean; host: string }> }>('ls', vm);
    assert.deepEqual(
      listed.versions.map((v) => [v.uid, v.valid, v.host]),
      [
        [second.versionUid, true, HOST],
        [first.versionUid, true, HOST],
      ],
      'ls lists both versions, newest first',
    );
  });

  test('a disk too small for backy2\'s diff sanity check (2 blocks) still backs up incrementally, byte-identical', async () => {
    const vm = uniqueVmId('tiny');
    const image = await createDisk(vm, 8 * MiB);
    images.push(image);
    const first = await vmbackupJson<BackupRun>('backup', vm, '--wait');
    await changeBlocks(image, 8 * MiB, 1);
    const second = await vmbackupJson<BackupRun>('backup', vm, '--wait', '--again');
    assert.equal(second.plan.kind, 'incremental');
    assert.equal(second.plan.baseUid, first.versionUid);
    const file = join(tmp, 'tiny.img');
    await exportToFile(`${image}@${second.plan.snapshot}`, file);
    assert.equal(await restoredHash(second.versionUid!), await sha256File(file));
  });

  test('a second backup of the same VM on the same day attaches to the first instead of running twice', async () => {
    const vm = uniqueVmId('once');
    images.push(await createDisk(vm, 64 * MiB));
    const a = await vmbackupJson<{ workflowId: string; runId: string; attached: boolean }>('backup', vm);
    const b = await vmbackupJson<{ workflowId: string; runId: string; attached: boolean }>('backup', vm);
    assert.equal(a.attached, false);
    assert.equal(b.attached, true);
    assert.equal(b.workflowId, a.workflowId);
    await client.workflow.getHandle(a.workflowId).result();
    const c = await vmbackupJson<BackupRun>('backup', vm, '--wait');
    assert.equal(c.attached, true, 'a start after the day’s backup finished attaches to it too');

    const runs = await findWorkflows(client, `Operation = "backup" AND VmId = "${vm}"`);
    assert.equal(runs.length, 1, 'exactly one backup workflow ran for the VM today');
    const versions = (await backy2(HOST, '-m', 'ls', `${vm}_disk`)).split('\n').filter((l) => l.startsWith('version|'));
    assert.equal(versions.length, 1, 'exactly one backy2 version');
  });

  test('an unknown VM fails with a clear error and exit code 3, leaving nothing behind', async () => {
    const vm = uniqueVmId('ghost');
    const r = await vmbackup('backup', vm, '--wait');
    assert.equal(r.exitCode, 3, r.stderr);
    // The inventory (here: the pool and the local YAML file) has no such VM: refused before any backup starts.
    assert.match(r.stderr, new RegExp(`no VM with the id or name '${vm}' in the inventory; nothing was done`));
    const versions = (await backy2(HOST, '-m', 'ls', `${vm}_disk`)).split('\n').filter((l) => l.startsWith('version|'));
    assert.equal(versions.length, 0);
  });

  test('a VM argument with shell metacharacters names no VM: refused before anything starts', async () => {
    // Nova allows such names, so they are looked up (compared, never put in an argv) and found nowhere: exit 3.
    for (const bad of ['vm;rm -rf /', '$(reboot)', '../etc', '-rf', 'a b']) {
      const r = await vmbackup('backup', '--wait', '--', bad);
      assert.equal(r.exitCode, 3, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /no VM with the id or name .* in the inventory; nothing was done/);
    }
    // Control characters are no name at all: exit 2.
    const r = await vmbackup('backup', '--wait', '--', 'a\nb');
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /invalid VM 'a\nb': expected a VM id or name without control characters; nothing was done/);
    const found = await findWorkflows(client, `VmId = "vm;rm -rf /"`, 0);
    assert.equal(found.length, 0);
  });
});
