import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backupSnapshotName, HostName, isOwnSnapshot, parseBackupSnapshotName, PoolName, VmId, vmDiskImage } from '../../lib/naming.ts';

test('VM ids that are UUIDs or plain names are accepted', () => {
  for (const id of ['ee8bd285-73ab-4981-a1f1-498b79b50e2a', 'demo1', 'web_01.a']) assert.equal(VmId.parse(id), id);
});

test('VM ids that could reach a shell or an option parser are refused', () => {
  for (const id of ['', 'a;b', '$(x)', '`x`', 'a b', '-rf', '../x', 'a/b', 'a|b', "a'b", 'a\nb', 'x'.repeat(129)]) {
    assert.equal(VmId.safeParse(id).success, false, JSON.stringify(id));
  }
});

test('pool and host names are checked the same way', () => {
  assert.equal(PoolName.safeParse('eqiad1-compute').success, true);
  assert.equal(PoolName.safeParse('a pool').success, false);
  assert.equal(HostName.safeParse('cloudbackup1003').success, true);
  assert.equal(HostName.safeParse('Backup_1').success, false);
});

test('snapshot names follow the existing tooling: <YYYY-mm-ddTHH:MM:SS>_<host>', () => {
  const name = backupSnapshotName(new Date('2020-08-19T01:37:11.456Z'), 'cloudbackup1003');
  assert.equal(name, '2020-08-19T01:37:11_cloudbackup1003');
  assert.deepEqual(parseBackupSnapshotName(name), { takenAt: new Date('2020-08-19T01:37:11Z'), host: 'cloudbackup1003' });
  assert.equal(isOwnSnapshot(name, 'cloudbackup1003'), true);
  assert.equal(isOwnSnapshot(name, 'cloudbackup1004'), false, 'another host’s snapshot is not ours');
  assert.equal(isOwnSnapshot('snap', 'cloudbackup1003'), false, 'Glance’s `snap` is nobody’s backup');
  assert.equal(isOwnSnapshot('2020-08-19T01:37:11', 'cloudbackup1003'), false, 'the 2020 runbook’s suffix-less snapshots are not ours');
});

test('a VM disk is <vm-id>_disk', () => {
  assert.equal(vmDiskImage('ee8bd285'), 'ee8bd285_disk');
});
