import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  asideImageName,
  backupSnapshotName,
  diskIdFromImage,
  hasAsideMark,
  HostName,
  ImageName,
  isOwnSnapshot,
  parseAsideImageName,
  parseBackupSnapshotName,
  PoolName,
  ProjectId,
  projectFromTags,
  projectTag,
  VmId,
  vmDiskImage,
} from '../../lib/naming.ts';

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

test('an image moved aside is named <image>.vmbackup-aside-<YYYYmmddTHHMMSS> (UTC) and parsed back', () => {
  const name = asideImageName('demo-web01_disk', new Date('2026-11-25T21:56:51.789Z'));
  assert.equal(name, 'demo-web01_disk.vmbackup-aside-20261125T215651');
  assert.deepEqual(parseAsideImageName(name), { belongsTo: 'demo-web01_disk', asideAt: new Date('2026-11-25T21:56:51Z') });
  assert.equal(ImageName.safeParse(name).success, true, 'an aside name is itself a valid RBD image name');
  for (const other of ['demo-web01_disk', '.vmbackup-aside-20261125T215651', 'x.vmbackup-aside-2026', 'x.vmbackup-aside-20261125T215651.old', 'x.vmbackup-aside-20261345T215651']) {
    assert.equal(parseAsideImageName(other), undefined, other);
  }
});

test('an aside image is never taken for a disk of its workload, even one not exactly of the aside form', () => {
  assert.equal(diskIdFromImage('vms', 'vm1_disk'), 'vm1');
  assert.equal(diskIdFromImage('vms', 'vm1_disk.vmbackup-aside-20261101T120000'), undefined);
  assert.equal(diskIdFromImage('images', '3f1c.vmbackup-aside-20261101T120000'), undefined);
  assert.equal(hasAsideMark('vm1_disk.vmbackup-aside-old'), true);
  assert.equal(hasAsideMark('vm1_disk'), false);
});

test('a project id is recorded as the tag project_<id> and read back; an id a tag should not carry is not recorded', () => {
  assert.equal(projectTag('3f1c0e9a1b2c4d5e8f90'), 'project_3f1c0e9a1b2c4d5e8f90');
  assert.equal(projectFromTags(['full_backup', 'project_p-demo', 'b_daily']), 'p-demo');
  assert.equal(projectFromTags(['full_backup']), undefined);
  assert.equal(projectTag(undefined), undefined);
  for (const bad of ['', 'a b', 'a,b', '$(x)', 'x'.repeat(201)]) {
    assert.equal(projectTag(bad), undefined, JSON.stringify(bad));
    assert.equal(ProjectId.safeParse(bad).success, false, JSON.stringify(bad));
  }
  assert.equal(ProjectId.safeParse('p-demo').success, true);
});
