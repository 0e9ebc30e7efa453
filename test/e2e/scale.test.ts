// A cloud of real size inside Temporal's limits: an inventory of 10,000 servers
// from the fake OpenStack (paged by 1,000, as Nova pages, read by the real
// `openstack` CLI) and a private backy2 store of 80,000 versions, 8 per disk.
//
// The versions are made quickly, not by 80,000 backups: `backy2 initdb` makes
// the store's SQLite metadata DB and rows are inserted into it as backy2's own
// schema has them (versions, tags, stats; no data blocks, which nothing here
// reads). See scripts/support/scale-cloud.ts, which `npm run bench -- --only
// scale` shares. Only two disks exist in Ceph; the other 9,998 servers have no
// `<id>_disk` (booted from a volume) and the night skips them `not-on-ceph`, so
// its plan still judges all 10,000. Every project is assigned to the one host.
//
// Each command an operator runs answers, and no workflow it started holds a
// payload or a history over half of Temporal's limits (payload 2 MB → < 1 MB
// per event; history 50,000 events / 50 MB → < 25,000 and < 25 MB), read from
// the histories themselves.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { historyWeights, SCALE_DISKS, type ScaleCloud, startScaleCloud, VERSIONS_PER_DISK } from '../../scripts/support/scale-cloud.ts';

const MB = 1024 * 1024;
let cloud: ScaleCloud;

/** Every workflow of the cloud so far (continued runs and children too) is well inside Temporal's limits. */
async function assertWithinLimits(types: string[]): Promise<void> {
  for (const w of await historyWeights(cloud, types)) {
    assert.ok(w.maxEventPayloadBytes < 1 * MB, `${w.type} ${w.workflowId}: an event carries ${w.maxEventPayloadBytes} bytes of payload`);
    assert.ok(w.events < 25_000, `${w.type} ${w.workflowId}: ${w.events} events`);
    assert.ok(w.bytes < 25 * MB, `${w.type} ${w.workflowId}: history of ${w.bytes} bytes`);
  }
}

before(async () => {
  cloud = await startScaleCloud();
});

after(async () => {
  await cloud?.cleanup();
});

/** `vmbackup -o json ARGS` on the scale cloud; it must exit 0. */
async function json<T>(...args: string[]): Promise<T> {
  const r = await cloud.cli('-o', 'json', ...args);
  assert.equal(r.exitCode, 0, `vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

test('10,000 disks and 80,000 versions: the night plans, where, ls, restore and remove-unhandled answer, every payload and history well inside the limits', { timeout: 600_000 }, async () => {
  assert.equal(cloud.versions, SCALE_DISKS * VERSIONS_PER_DISK);

  const [night] = await json<Array<{ workflowId: string } & NightlySummary>>('run-nightly', '--dry-run');
  assert.equal(night!.inventory.disks, SCALE_DISKS, 'every page of the inventory was read');
  assert.deepEqual(night!.counts, { planned: 2, full: 0, incremental: 0, skipped: SCALE_DISKS - 2, failed: 0 });
  assert.deepEqual(night!.skippedByCode, { 'not-on-ceph': SCALE_DISKS - 2 });
  assert.equal(night!.skipped.length, 50, 'the summary lists the first 50 skips, and counts them all');
  const text = await cloud.cli('run-nightly', '--dry-run');
  assert.match(text.stdout, new RegExp(`… and ${SCALE_DISKS - 2 - 50} more skipped \\(not-on-ceph ${SCALE_DISKS - 2 - 50}\\)`));

  const where = await json<{ inventory: { disks: number }; disks: Array<{ id: string; assignedTo: string; backups: Array<{ host: string; versions: number }> }> }>(
    'where',
    cloud.vm.project,
    '--vm',
    cloud.vm.name,
  );
  assert.equal(where.inventory.disks, SCALE_DISKS / 100, "the project's 100 VMs, picked on the host");
  assert.deepEqual(
    where.disks.map((d) => [d.id, d.assignedTo, d.backups.map((b) => [b.host, b.versions])]),
    [[cloud.vm.id, cloud.host, [[cloud.host, VERSIONS_PER_DISK]]]],
  );

  const ls = await json<{ versions: Array<{ uid: string; date: string }> }>('ls', cloud.vm.id);
  assert.equal(ls.versions.length, VERSIONS_PER_DISK);

  const restore = await json<{ dryRun: boolean; versionUid: string; host: string; plan: string[] }>('restore', cloud.vm.id, '--dry-run');
  assert.equal(restore.dryRun, true);
  assert.equal(restore.versionUid, ls.versions[0]!.uid, 'the newest valid version of that disk');
  assert.equal(restore.host, cloud.host);

  const unhandled = await json<{ hosts: Array<{ versions: number; disks: unknown[]; inventory: Array<{ disks: number }> }> }>('remove-unhandled', '--dry-run');
  assert.equal(unhandled.hosts[0]!.versions, SCALE_DISKS * VERSIONS_PER_DISK, 'every version was judged');
  assert.equal(unhandled.hosts[0]!.inventory[0]!.disks, SCALE_DISKS);
  assert.deepEqual(unhandled.hosts[0]!.disks, [], 'every disk is handled here: nothing to remove');

  await assertWithinLimits(['nightlyBackups', 'listInventory', 'listBackups', 'restoreInstance', 'removeUnhandled']);
});

test('a real night over the cloud pages its queue from the host across continue-as-new, and leaves no plan file', { timeout: 600_000 }, async () => {
  // One child per run: the second run reads the queue's second page (offset 1) from the host's plan file.
  const [night] = await json<Array<{ workflowId: string } & NightlySummary>>('run-nightly', '--wait', '--children-per-run', '1');
  assert.deepEqual(night!.counts, { planned: 2, full: 2, incremental: 0, skipped: SCALE_DISKS - 2, failed: 0 });
  assert.equal(night!.runs, 2);
  assert.deepEqual(night!.backedUp.map((d) => d.id).sort(), [...cloud.onCeph].sort());
  assert.deepEqual(readdirSync(join(cloud.stateDir, 'nights')), [], 'the finished night removed its plan');
  const ls = await json<{ versions: Array<{ uid: string }> }>('ls', cloud.vm.id);
  assert.equal(ls.versions[0]!.uid, night!.backedUp.find((d) => d.id === cloud.vm.id)!.versionUid, "tonight's version is the newest");
  await assertWithinLimits(['nightlyBackups', 'backupInstance']);
});
