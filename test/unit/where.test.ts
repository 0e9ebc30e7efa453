// `vmbackup where`'s decisions: the assignment in words, exclusions by the
// nightly's rules, which disks --vm names, and backups counted per host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignmentOf } from '../../lib/fleet/policy.ts';
import { backupsPerHost, describeAssignment, exclusionOfDisk, matchDisks } from '../../lib/fleet/where.ts';

const assignments = { default: 'backup1', projects: { 'p-beta': 'backup2', 'p-gamma': 'ignore' } };

test('the assignment names the host and the rule, or says ignored / assigned to no host', () => {
  assert.equal(describeAssignment(assignmentOf('p-alpha', assignments)), 'backup1 (project_assignments.default)');
  assert.equal(describeAssignment(assignmentOf('p-beta', assignments)), 'backup2 (project_assignments.projects.p-beta)');
  assert.equal(describeAssignment(assignmentOf('p-gamma', assignments)), 'ignored (project_assignments.projects.p-gamma)');
  assert.match(describeAssignment(assignmentOf('p-x', { projects: {} })), /^assigned to no host/);
});

test('exclusions follow the workload: server rules for VMs, volume rules for volumes', () => {
  const exclude = { servers: { global: ['.*-k8s-.*'], projects: { 'p-alpha': ['scratch-.*'] } }, volumes: { global: ['tmp-.*'], projects: {} } };
  assert.equal(exclusionOfDisk({ name: 'a-k8s-1', projectId: 'p-alpha' }, 'vms', exclude), 'exclude.servers.global /.*-k8s-.*/');
  assert.equal(exclusionOfDisk({ name: 'scratch-1', projectId: 'p-alpha' }, 'vms', exclude), 'exclude.servers.projects.p-alpha /scratch-.*/');
  assert.equal(exclusionOfDisk({ name: 'scratch-1', projectId: 'p-beta' }, 'vms', exclude), undefined);
  assert.equal(exclusionOfDisk({ name: 'tmp-1', projectId: 'p-beta' }, 'volumes', exclude), 'exclude.volumes.global /tmp-.*/');
  assert.equal(exclusionOfDisk({ name: 'tmp-1', projectId: 'p-beta' }, 'vms', exclude), undefined);
});

test('--vm matches an id first, else every disk of that name', () => {
  const disks = [
    { id: 'a1', name: 'web' },
    { id: 'a2', name: 'web' },
    { id: 'web', name: 'db' },
  ];
  assert.deepEqual(matchDisks(disks, 'web').map((d) => d.id), ['web']);
  assert.deepEqual(matchDisks(disks, 'db').map((d) => d.id), ['web']);
  assert.deepEqual(matchDisks(disks.slice(0, 2), 'web').map((d) => d.id), ['a1', 'a2']);
  assert.deepEqual(matchDisks(disks, 'nope'), []);
});

test('backups per host: count, invalid count and newest date, by host name', () => {
  assert.deepEqual(
    backupsPerHost([
      { host: 'backup2', date: '2026-11-20T02:00:00Z', valid: true },
      { host: 'backup1', date: '2026-11-21T02:00:00Z', valid: true },
      { host: 'backup1', date: '2026-11-24T02:00:00Z', valid: false },
      { host: 'backup1', date: '2026-11-22T02:00:00Z', valid: true },
    ]),
    [
      { host: 'backup1', versions: 3, newest: '2026-11-24T02:00:00Z', invalid: 1 },
      { host: 'backup2', versions: 1, newest: '2026-11-20T02:00:00Z', invalid: 0 },
    ],
  );
  assert.deepEqual(backupsPerHost([]), []);
});
