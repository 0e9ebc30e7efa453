// The nightly decision: every disk is either backed up by exactly one host or
// skipped with a reason that names the rule, in a stable order.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { forgetNightPlan, makeNightPlan, nightPlanFile, readNightQueue } from '../../activities/night-plan.ts';
import { renderNightlySummary } from '../../cli/output/nightly-summary.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import type { InventoryDisk, InventorySnapshot } from '../../lib/fleet/inventory.ts';
import { type FleetPolicy, planNightly } from '../../lib/fleet/plan.ts';
import { NightlyCarry, type NightlySummary, recordBackedUp, recordFailed, recordSkipped, SUMMARY_ERROR_MAX, SUMMARY_LIST_MAX, unlisted } from '../../lib/operations/nightly.ts';

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

// The night at scale: the host plans and keeps the queue; the workflow carries counts and bounded lists.
const stateDir = mkdtempSync(join(tmpdir(), 'vmbackup-night-plan-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

const cloud = (n: number, over: (i: number) => Partial<InventoryDisk> = () => ({})): InventorySnapshot => ({
  workload: 'vms',
  pool: 'compute',
  driver: 'openstack',
  takenAt: '2026-12-02T02:00:00.000Z',
  disks: Array.from({ length: n }, (_, i) => disk(`vm-${String(i).padStart(5, '0')}`, over(i))),
});

test('planNight keeps the whole queue on the host and hands back counts, the first page and a bounded list of skips', () => {
  // 10,000 disks: every 100th on Ceph, three in an ignored project, the rest not on Ceph.
  const inventory = cloud(10_000, (i) => (i < 3 ? { projectId: 'gamma' } : { onCeph: i % 100 === 0 }));
  const head = makeNightPlan(stateDir, { night: 'nightly/backup1/vms-x@run1', inventory, policy: policy(), restores: {}, pageSize: 40, keep: true });
  assert.deepEqual(head.inventory, { driver: 'openstack', disks: 10_000, takenAt: inventory.takenAt });
  assert.equal(head.planned, 99);
  assert.equal(head.skippedCount, 10_000 - 99);
  assert.deepEqual(head.skippedByCode, { ignored: 3, 'not-on-ceph': 10_000 - 99 - 3 });
  assert.equal(head.skipped.filter((d) => d.code === 'ignored').length, 3, 'a rare reason is listed whole');
  assert.equal(head.skipped.filter((d) => d.code === 'not-on-ceph').length, SUMMARY_LIST_MAX);
  assert.deepEqual(head.queue.map((d) => d.id), Array.from({ length: 40 }, (_, i) => `vm-${String((i + 1) * 100).padStart(5, '0')}`));
  assert.ok(JSON.stringify(head).length < 50_000, `the result stays small: ${JSON.stringify(head).length} bytes`);

  const page = readNightQueue(stateDir, { night: 'nightly/backup1/vms-x@run1', offset: 80, limit: 40 });
  assert.deepEqual(page.map((d) => d.id), Array.from({ length: 19 }, (_, i) => `vm-${String((i + 81) * 100).padStart(5, '0')}`), 'the last page is short');
  forgetNightPlan(stateDir, 'nightly/backup1/vms-x@run1');
  assert.throws(() => readNightQueue(stateDir, { night: 'nightly/backup1/vms-x@run1', offset: 0, limit: 1 }), (err) => err instanceof InvalidInputError && /the plan of night .* is gone/.test(err.message));
  forgetNightPlan(stateDir, 'nightly/backup1/vms-x@run1'); // already gone: fine
});

test('a dry run writes no plan file; a plan file older than a week is pruned by the next plan', () => {
  makeNightPlan(stateDir, { night: 'dry@1', inventory: cloud(3), policy: policy(), restores: {}, pageSize: 10, keep: false });
  assert.equal(existsSync(nightPlanFile(stateDir, 'dry@1')), false);
  makeNightPlan(stateDir, { night: 'old@1', inventory: cloud(3), policy: policy(), restores: {}, pageSize: 10, keep: true });
  const old = nightPlanFile(stateDir, 'old@1');
  const weekAgo = new Date(Date.now() - 8 * 86_400_000);
  utimesSync(old, weekAgo, weekAgo);
  writeFileSync(join(stateDir, 'nights', 'unrelated-but-fresh.json'), '{}');
  makeNightPlan(stateDir, { night: 'new@1', inventory: cloud(3), policy: policy(), restores: { 'vm-00001': 'restore/vm-00001/x' }, pageSize: 10, keep: true });
  assert.equal(existsSync(old), false);
  assert.ok(existsSync(join(stateDir, 'nights', 'unrelated-but-fresh.json')));
  assert.deepEqual(readNightQueue(stateDir, { night: 'new@1', offset: 0, limit: 10 }).map((d) => d.id), ['vm-00000', 'vm-00002'], 'a disk under restore is not queued');
});

const emptySummary = (): NightlySummary => ({
  host: 'backup1',
  workload: 'vms',
  dryRun: false,
  inventory: { driver: 'openstack', disks: 0, takenAt: '2026-12-02T02:00:00.000Z' },
  counts: { planned: 0, full: 0, incremental: 0, skipped: 0, failed: 0 },
  skippedByCode: {},
  bytesRead: 0,
  bytesWritten: 0,
  startedAt: '2026-12-02T02:00:00.000Z',
  finishedAt: '2026-12-02T03:00:00.000Z',
  durationSeconds: 3600,
  runs: 3,
  waitedFor: [],
  backedUp: [],
  skipped: [],
  failed: [],
});

test('the summary counts every disk and lists the first ones of each list; the carry between runs is typed', () => {
  const s = emptySummary();
  for (let i = 0; i < 120; i++) {
    recordBackedUp(s, { id: `b${i}`, name: `b${i}`, image: `b${i}_disk`, kind: i % 2 ? 'incremental' : 'full', bytesRead: 10, bytesWritten: 5, workflowId: `n/b${i}` });
  }
  for (let i = 0; i < 70; i++) recordFailed(s, { id: `f${i}`, name: `f${i}`, image: `f${i}_disk`, error: 'x'.repeat(2000), workflowId: `n/f${i}` });
  for (let i = 0; i < 60; i++) recordSkipped(s, { id: `s${i}`, name: `s${i}`, image: `s${i}_disk`, code: 'not-on-ceph', reason: 'no image' });
  recordSkipped(s, { id: 'busy1', name: 'busy1', image: 'busy1_disk', code: 'busy', reason: 'a restore holds it' });
  assert.deepEqual(s.counts, { planned: 0, full: 60, incremental: 60, skipped: 61, failed: 70 });
  assert.deepEqual([s.bytesRead, s.bytesWritten], [1200, 600]);
  assert.deepEqual(s.skippedByCode, { 'not-on-ceph': 60, busy: 1 });
  assert.deepEqual([s.backedUp.length, s.failed.length, s.skipped.length], [SUMMARY_LIST_MAX, SUMMARY_LIST_MAX, SUMMARY_LIST_MAX + 1]);
  assert.ok(s.skipped.some((d) => d.code === 'busy'), 'a skip made late in the night is listed even after many others');
  assert.ok(s.failed[0]!.error.length < SUMMARY_ERROR_MAX + 100 && s.failed[0]!.error.includes('whole in n/f0'));
  assert.deepEqual(unlisted(s), { backedUp: 70, skipped: 10, failed: 20 });

  const text = renderNightlySummary(s, 'nightly/backup1/vms-x');
  assert.match(text, /… and 20 more failed \(each disk's backup is a child workflow of nightly\/backup1\/vms-x\)/);
  assert.match(text, /… and 10 more skipped \(not-on-ceph 10\)/);
  assert.match(text, /… and 70 more backed up/);

  const carry = { plan: 'nightly/backup1/vms-x@run1', offset: 200, summary: s, liveForDays: 8, pool: 'rbd', concurrency: 2 };
  assert.deepEqual(NightlyCarry.parse(carry), carry);
  assert.throws(() => NightlyCarry.parse({ ...carry, queue: [] }), /queue/, 'a queue is never carried');
});
