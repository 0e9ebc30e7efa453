// Which snapshots are dangling and which versions are invalid leftovers: only
// this host's, never protected ones, never those of a disk being backed up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { danglingOf, isWorkloadDisk } from '../../lib/operations/dangling-snapshots.ts';
import { invalidVersionsOf } from '../../lib/operations/remove-invalids.ts';

const disk = { pool: 'rbd', image: 'vm1_disk' };
const snap = (name: string, prot = false) => ({ name, protected: prot });
const version = (name: string, snapshotName: string, valid = true) => ({ name, snapshotName, valid });
const now = new Date('2026-11-25T12:00:00Z');

test('an own snapshot with no valid version of the image is dangling; one with a valid version is not', () => {
  const found = danglingOf(
    disk,
    [snap('2026-11-01T00:00:00_backup1'), snap('2026-11-02T00:00:00_backup1'), snap('2026-11-03T00:00:00_backup1')],
    [
      version('vm1_disk', '2026-11-01T00:00:00_backup1'),
      version('vm1_disk', '2026-11-02T00:00:00_backup1', false), // a backup that failed
      version('vm2_disk', '2026-11-03T00:00:00_backup1'), // another disk's version of a same-named snapshot
    ],
    'backup1',
    undefined,
    now,
  );
  assert.deepEqual(
    found.map((s) => `${s.snapshot} ${s.state}`),
    ['2026-11-02T00:00:00_backup1 dangling', '2026-11-03T00:00:00_backup1 dangling'],
  );
});

test("someone else's snapshots are never reported: other hosts, no suffix, Glance's snap, an operator's", () => {
  const names = ['2026-11-01T00:00:00_backup2', '2026-11-01T00:00:00', 'snap', 'before-upgrade', '2026-11-01T00:00:00_backup1x'];
  assert.deepEqual(danglingOf(disk, names.map((n) => snap(n)), [], 'backup1', undefined, now), []);
});

test('protected snapshots and those of a disk whose backup runs are reported as kept, with why', () => {
  const [prot, busy] = [
    danglingOf(disk, [snap('2026-11-01T00:00:00_backup1', true)], [], 'backup1', 'backup/vm1/2026-11-25', now)[0]!,
    danglingOf(disk, [snap('2026-11-01T00:00:00_backup1')], [], 'backup1', 'backup/vm1/2026-11-25', now)[0]!,
  ];
  assert.equal(prot.state, 'protected', 'protected wins: it is never removed, running backup or not');
  assert.equal(busy.state, 'in-use');
  assert.match(busy.reason!, /backup\/vm1\/2026-11-25 .*running/);
});

test('a snapshot under 10 minutes old is kept: its backup may not show in visibility yet', () => {
  const names = ['2026-11-25T11:51:00_backup1', '2026-11-25T11:49:00_backup1'].map((n) => snap(n));
  assert.deepEqual(
    danglingOf(disk, names, [], 'backup1', undefined, now).map((s) => `${s.snapshot} ${s.state}`),
    ['2026-11-25T11:51:00_backup1 in-use', '2026-11-25T11:49:00_backup1 dangling'],
  );
});

test("a workload's disks are told by name; images a restore moved aside are nobody's disk", () => {
  assert.equal(isWorkloadDisk('vms', 'vm1_disk'), true);
  assert.equal(isWorkloadDisk('vms', 'volume-1'), false);
  assert.equal(isWorkloadDisk('vms', 'vm1_disk.vmbackup-aside-20261101T120000'), false);
  assert.equal(isWorkloadDisk('volumes', 'volume-1'), true);
  assert.equal(isWorkloadDisk('volumes', 'vm1_disk'), false);
  assert.equal(isWorkloadDisk('images', '3f1c0e9a-1b2c-4d5e-8f90-123456789abc'), true);
  assert.equal(isWorkloadDisk('images', '3f1c.vmbackup-aside-20261101T120000'), false);
});

test('invalid versions may go unless protected or their disk is being backed up', () => {
  const v = (uid: string, name: string, valid: boolean, prot = false) => ({ uid, name, snapshotName: 's', date: '2026-11-01T00:00:00.000Z', sizeBytes: 1, valid, protected: prot });
  const found = invalidVersionsOf(
    [v('a', 'vm1_disk', false), v('b', 'vm1_disk', true), v('c', 'vm2_disk', false, true), v('d', 'vm3_disk', false)],
    new Map([['vm3_disk', 'backup/vm3/2026-11-25']]),
    now,
  );
  assert.deepEqual(
    found.map((x) => `${x.uid} ${x.state}`),
    ['a invalid', 'c protected', 'd in-use'],
  );
  const young = { ...v('e', 'vm1_disk', false), date: '2026-11-25T11:55:00.000Z' };
  assert.equal(invalidVersionsOf([young], new Map(), now)[0]!.state, 'in-use', 'under 10 minutes old: its backup may still run');
});
