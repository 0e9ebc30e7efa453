// remove-unhandled's plan: which disks of a host's store it would remove and
// why, and everything it keeps because it cannot be sure (no project, no host
// assigned, a backup running, protected versions, names of no workload).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advanceInventory, type LastInventory, shrinkSince } from '../../lib/fleet/last-inventory.ts';
import { UnsafeInventoryError } from '../../lib/errors.ts';
import { assertInventoryPlausible, assertNoSharpShrink, diskOfVersion, planUnhandled, type StoreVersion, type UnhandledPolicy, workloadsToCheck } from '../../lib/fleet/unhandled.ts';

let n = 0;
const version = (name: string, extra: Partial<StoreVersion> = {}): StoreVersion => ({
  uid: `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`,
  name,
  date: `2026-11-${String(10 + n).padStart(2, '0')}T02:00:00.000Z`,
  sizeBytes: 1000,
  protected: false,
  valid: true,
  tags: [],
  ...extra,
});

const policy = (over: Partial<UnhandledPolicy> = {}): UnhandledPolicy => ({
  host: 'backup1',
  assignments: { default: 'backup1', projects: { 'p-beta': 'backup2', 'p-gamma': 'ignore' } },
  inventories: {
    vms: new Map<string, string | undefined>([
      ['keep', 'p-alpha'],
      ['beta', 'p-beta'],
      ['gamma', 'p-gamma'],
      ['anon', undefined],
    ]),
  },
  driver: 'local',
  // Long enough ago that a deleted disk's grace is over (see the grace tests below).
  missingSince: { vms: { gone: '2026-11-20T00:00:00.000Z' }, images: { 'img-gone': '2026-11-20T00:00:00.000Z' } },
  graceDays: { vms: 8, volumes: 8, images: 8 },
  now: '2026-12-31T00:00:00.000Z',
  ...over,
});

test('a version name is mapped to its workload and id; images never claim a Nova or Cinder name', () => {
  const all = ['vms', 'volumes', 'images'] as const;
  assert.deepEqual(diskOfVersion('web_disk', all), { workload: 'vms', id: 'web' });
  assert.deepEqual(diskOfVersion('volume-v1', all), { workload: 'volumes', id: 'v1' });
  assert.deepEqual(diskOfVersion('img1', all), { workload: 'images', id: 'img1' });
  assert.equal(diskOfVersion('img1', ['vms']), undefined);
  assert.equal(diskOfVersion('web_disk.vmbackup-aside-20261125T000000', all), undefined);
  assert.deepEqual(workloadsToCheck([version('a_disk'), version('volume-x')], all), ['vms', 'volumes']);
});

test('deleted, moved and ignored disks are planned for removal, with the rule that said so; handled ones are not listed', () => {
  const versions = [version('keep_disk'), version('gone_disk', { tags: ['project_p-alpha'] }), version('gone_disk'), version('beta_disk'), version('gamma_disk')];
  // Named, so that their last valid versions go too (see below).
  const plan = planUnhandled(versions, policy({ includeLast: ['beta_disk', 'gamma_disk'] }));
  assert.deepEqual(
    plan.remove.map((d) => [d.disk, d.code, d.versions.length, d.bytes]),
    [
      ['beta_disk', 'moved', 1, 1000],
      ['gamma_disk', 'ignored', 1, 1000],
      ['gone_disk', 'deleted', 2, 2000],
    ],
  );
  assert.match(plan.remove[0]!.reason, /project p-beta is backed up on backup2 \(project_assignments\.projects\.p-beta\)/);
  assert.match(plan.remove[1]!.reason, /project p-gamma is ignored/);
  assert.match(plan.remove[2]!.reason, /VM gone is not in the inventory \(local driver\)/);
  assert.equal(plan.remove[2]!.project, 'p-alpha', "a deleted disk's project comes from its tag");
  assert.deepEqual(plan.kept, []);
});

test('the project falls back to the project_ tag of the newest version that has one when the inventory knows none', () => {
  const moved = planUnhandled([version('anon_disk', { tags: ['project_p-alpha'] }), version('anon_disk', { tags: ['project_p-beta'] })], policy());
  assert.deepEqual(moved.remove.map((d) => [d.disk, d.code, d.project]), [['anon_disk', 'moved', 'p-beta']]);
  const untagged = planUnhandled([version('anon_disk')], policy());
  assert.deepEqual(untagged.remove, []);
  assert.deepEqual(untagged.kept.map((k) => k.code), ['no-project']);
});

test('kept: unassigned projects, running backups, all-protected disks and names of no workload; protected versions never planned', () => {
  const p1 = version('gone_disk', { protected: true });
  const p2 = version('gone_disk');
  const plan = planUnhandled(
    [p1, p2, version('beta_disk', { protected: true }), version('gamma_disk'), version('keep_disk'), version('volume-v1')],
    policy({ assignments: { projects: { 'p-gamma': 'ignore' } } }),
    new Map([['gamma_disk', 'backup/gamma/2026-11-25']]),
  );
  assert.deepEqual(plan.remove.map((d) => [d.disk, d.versions.map((v) => v.uid), d.protectedKept]), [['gone_disk', [p2.uid], 1]]);
  assert.deepEqual(
    plan.kept.map((k) => [k.disk, k.code]),
    [
      ['beta_disk', 'unassigned'],
      ['gamma_disk', 'backup-running'],
      ['keep_disk', 'unassigned'],
      ['volume-v1', 'unknown-disk'],
    ],
  );
  const allProtected = planUnhandled([version('beta_disk', { protected: true })], policy());
  assert.deepEqual(allProtected.kept.map((k) => [k.code, k.versions]), [['protected', 1]]);
});

test('images are judged only by deletion: their owner assigns them to no host', () => {
  const plan = planUnhandled([version('img-here'), version('img-gone')], policy({ inventories: { images: new Map([['img-here', 'p-beta']]) } }));
  assert.deepEqual(plan.remove.map((d) => [d.disk, d.code, d.workload]), [['img-gone', 'deleted', 'images']]);
});

test('an empty inventory for a workload the store holds backups of is refused, not read as "all deleted"', () => {
  assert.throws(() => assertInventoryPlausible('vms', 0, 12, 'openstack'), (e: unknown) => e instanceof UnsafeInventoryError && /lists no disk at all .* 12 backups of vms/.test(e.message));
  assertInventoryPlausible('vms', 0, 0, 'openstack');
  assertInventoryPlausible('vms', 3, 12, 'openstack');
});

test('a moved or ignored disk keeps its last valid version unless the operator names it; a deleted one does not', () => {
  const b1 = version('beta_disk');
  const b2 = version('beta_disk');
  const b3 = version('beta_disk', { valid: false });
  const g1 = version('gamma_disk');
  const d1 = version('gone_disk');
  const plan = planUnhandled([b1, b2, b3, g1, d1], policy());
  assert.deepEqual(
    plan.remove.map((d) => [d.disk, d.versions.map((v) => v.uid), d.lastValidKept, d.lastValidGoes]),
    [
      ['beta_disk', [b1.uid, b3.uid], b2.uid, false],
      ['gone_disk', [d1.uid], undefined, true],
    ],
    'the newest valid version stays even when a newer invalid one exists',
  );
  assert.deepEqual(plan.kept.map((k) => [k.disk, k.code]), [['gamma_disk', 'last-valid']]);
  assert.match(plan.kept[0]!.reason, /--disk gamma_disk --include-last/);

  const named = planUnhandled([b1, b2, b3, g1, d1], policy({ includeLast: ['gamma_disk'] }));
  assert.deepEqual(
    named.remove.map((d) => [d.disk, d.versions.length, d.lastValidGoes]),
    [
      ['beta_disk', 2, false],
      ['gamma_disk', 1, true],
      ['gone_disk', 1, true],
    ],
  );
  // A protected valid version already stays: the others may go, none of them is the last.
  const p = version('beta_disk', { protected: true });
  const withProtected = planUnhandled([b1, p, b2], policy());
  assert.deepEqual(withProtected.remove.map((d) => [d.versions.map((v) => v.uid), d.lastValidGoes]), [[[b1.uid, b2.uid], false]]);
});

test('a deleted disk keeps its backups for live_for_days after it was first seen missing, then they go', () => {
  const versions = [version('gone_disk'), version('gone_disk')];
  const at = (now: string, missingSince?: string) =>
    planUnhandled(versions, policy({ now, missingSince: missingSince === undefined ? {} : { vms: { gone: missingSince } } }));
  const fresh = at('2026-12-05T12:00:00.000Z', '2026-12-01T02:00:00.000Z');
  assert.deepEqual(fresh.remove, []);
  assert.deepEqual(fresh.kept.map((k) => [k.disk, k.code, k.versions]), [['gone_disk', 'recently-deleted', 2]]);
  assert.match(fresh.kept[0]!.reason, /VM gone is not in the inventory \(local driver\) since 2026-12-01T02:00:00\.000Z; its backups stay until 2026-12-09T02:00:00\.000Z \(workloads\.vms\.live_for_days = 8\)/);
  // The last moment of the grace, and the first after it.
  assert.equal(at('2026-12-09T01:59:59.999Z', '2026-12-01T02:00:00.000Z').remove.length, 0);
  const due = at('2026-12-09T02:00:00.000Z', '2026-12-01T02:00:00.000Z');
  assert.deepEqual(due.remove.map((d) => [d.disk, d.code, d.versions.length]), [['gone_disk', 'deleted', 2]]);
  assert.match(due.remove[0]!.reason, /not in the inventory \(local driver\) since 2026-12-01T02:00:00\.000Z$/);
  // Never seen missing before: its grace starts now, however old its backups are.
  assert.deepEqual(at('2027-06-01T00:00:00.000Z').kept.map((k) => k.code), ['recently-deleted']);
  // Only deletion waits: a moved disk goes at once.
  assert.deepEqual(planUnhandled([version('beta_disk'), version('beta_disk')], policy({ missingSince: {} })).remove.map((d) => d.code), ['moved']);
});

const last = (ids: string[], missingSince: Record<string, string> = {}): LastInventory => ({ workload: 'vms', driver: 'openstack', takenAt: '2026-12-01T02:00:00.000Z', ids, missingSince });
const listing = (ids: string[], takenAt = '2026-12-02T02:00:00.000Z') => ({ workload: 'vms' as const, driver: 'openstack', takenAt, ids });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `vm${i}`);

test('a shrink of more than the allowed share since the last inventory is refused, saying how much and since when', () => {
  const shrink = shrinkSince(last(ids(100)), listing(ids(100).slice(11)));
  assert.deepEqual(shrink, { before: 100, since: '2026-12-01T02:00:00.000Z', vanished: 11, share: 0.11, listed: 89 });
  const where = { driver: 'openstack', host: 'backup1', file: '/var/lib/vmbackup/backup1/inventory/vms.json' };
  assert.throws(
    () => assertNoSharpShrink('vms', shrink, 0.1, where),
    (e: unknown) =>
      e instanceof UnsafeInventoryError &&
      e.message.includes('the vms inventory (openstack driver) lists 89 disks; 11 of the 100 listed by the last inventory (2026-12-01T02:00:00.000Z) are gone, 11.0 %, more than inventory.max_vanished_share (10.0 %)') &&
      e.message.includes('nothing was removed') &&
      e.message.includes('remove /var/lib/vmbackup/backup1/inventory/vms.json on backup1'),
  );
  // Exactly the share, new disks alongside, or no reference at all: allowed.
  assertNoSharpShrink('vms', shrinkSince(last(ids(100)), listing([...ids(100).slice(10), 'new1', 'new2'])), 0.1, where);
  assertNoSharpShrink('vms', undefined, 0.1, where);
  assertNoSharpShrink('vms', shrinkSince(last([]), listing([])), 0, where);
});

test('the recorded inventory remembers when each disk was first seen missing, and forgets it when the disk is back', () => {
  const day1 = advanceInventory(undefined, listing(['a', 'b', 'c'], '2026-12-01T02:00:00.000Z'));
  assert.deepEqual(day1, { workload: 'vms', driver: 'openstack', takenAt: '2026-12-01T02:00:00.000Z', ids: ['a', 'b', 'c'], missingSince: {} });
  const day2 = advanceInventory(day1, listing(['a', 'c'], '2026-12-02T02:00:00.000Z'), ['old']);
  assert.deepEqual(day2.missingSince, { b: '2026-12-02T02:00:00.000Z', old: '2026-12-02T02:00:00.000Z' }, 'b left since yesterday; old has backups and no entry');
  const day3 = advanceInventory(day2, listing(['a', 'b'], '2026-12-03T02:00:00.000Z'), ['old']);
  assert.deepEqual(day3.missingSince, { c: '2026-12-03T02:00:00.000Z', old: '2026-12-02T02:00:00.000Z' }, 'b is back; old keeps its first date');
  const muchLater = advanceInventory(day3, listing(['a', 'b'], '2028-02-01T00:00:00.000Z'));
  assert.deepEqual(muchLater.missingSince, {}, 'missing for over 400 days: forgotten');
});
