// The nightly decision: every disk is either backed up by exactly one host or
// skipped with a reason that names the rule, in a stable order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryDisk } from '../../lib/fleet/inventory.ts';
import { type FleetPolicy, planNightly } from '../../lib/fleet/plan.ts';

const policy = (over: Partial<FleetPolicy> = {}): FleetPolicy => ({
  host: 'backup1',
  workload: 'vms',
  pool: 'compute',
  liveForDays: 8,
  concurrency: 2,
  assignments: { default: 'backup1', projects: { beta: 'backup2', gamma: 'ignore' } },
  exclusions: { servers: { global: ['k8s-worker-[0-9]+'], projects: { alpha: ['scratch'] } }, volumes: { global: [], projects: {} } },
  ...over,
});
const disk = (id: string, over: Partial<InventoryDisk> = {}): InventoryDisk => ({ id, name: id, projectId: 'alpha', image: `${id}_disk`, onCeph: true, ...over });

test('each skip names its reason; the rest are backed up in name order', () => {
  const plan = planNightly(
    [
      disk('web-2'),
      disk('web-1'),
      disk('k8s-worker-7'),
      disk('k8s-worker-7x'), // the regex must match the whole name
      disk('scratch'),
      disk('scratch', { id: 'scratch-beta', projectId: 'beta' }), // alpha's rule is alpha's only
      disk('new', { status: 'BUILD' }),
      disk('ephemeral', { onCeph: false }),
      disk('orphan', { projectId: undefined }),
      disk('g', { projectId: 'gamma' }),
    ],
    policy(),
    new Map([['web-2', 'restore/web-2/x']]),
  );
  assert.deepEqual(plan.backup.map((d) => d.id), ['k8s-worker-7x', 'web-1']);
  assert.deepEqual(Object.fromEntries(plan.skipped.map((s) => [s.id, s.code])), {
    ephemeral: 'not-on-ceph',
    g: 'ignored',
    'k8s-worker-7': 'excluded',
    new: 'building',
    orphan: 'no-project',
    scratch: 'excluded',
    'scratch-beta': 'other-host',
    'web-2': 'restore-running',
  });
  assert.match(plan.skipped.find((s) => s.id === 'scratch')!.reason, /exclude\.servers\.projects\.alpha \/scratch\//);
  assert.match(plan.skipped.find((s) => s.id === 'scratch-beta')!.reason, /backed up on backup2 \(project_assignments\.projects\.beta\)/);
});

test('without a default assignment an unlisted project is backed up nowhere, and says so', () => {
  const plan = planNightly([disk('a', { projectId: 'delta' })], policy({ assignments: { projects: {} } }));
  assert.equal(plan.skipped[0]!.code, 'unassigned');
});

test('volumes in backing-up and images of shelved instances are skipped; images ignore project assignments', () => {
  const vols = planNightly([disk('v1', { status: 'backing-up', image: 'volume-v1' }), disk('v2', { status: 'in-use', image: 'volume-v2' })], policy({ workload: 'volumes' }));
  assert.deepEqual(vols.backup.map((d) => d.id), ['v2']);
  assert.equal(vols.skipped[0]!.code, 'backing-up');
  const images = planNightly([disk('i1', { name: 'web-1-shelved', projectId: 'gamma' }), disk('i2', { name: 'debian-12', projectId: 'gamma' })], policy({ workload: 'images' }));
  assert.deepEqual(images.backup.map((d) => d.id), ['i2']);
  assert.equal(images.skipped[0]!.code, 'shelved');
});
