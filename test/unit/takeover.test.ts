// A takeover's plan: refused while the config still names the lost host; only
// the disks with no valid version on the new host are taken, and the digest
// the operator confirms covers exactly those.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createInventoryActivities } from '../../activities/inventory-activities.ts';
import { makeNightPlan } from '../../activities/night-plan.ts';
import { loadConfig, LOCAL_CONFIG } from '../../lib/config/load.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import type { InventorySnapshot } from '../../lib/fleet/inventory.ts';
import type { FleetPolicy } from '../../lib/fleet/plan.ts';
import { NightlyInput } from '../../lib/operations/nightly.ts';
import { assignmentsTo, takeoverRefusal } from '../../lib/operations/takeover.ts';
import { planDigest } from '../../lib/plan-digest.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'vmbackup-takeover-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

const policy: FleetPolicy = {
  host: 'backup2',
  workload: 'vms',
  pool: 'rbd',
  liveForDays: 8,
  concurrency: 2,
  assignments: { default: 'backup2', projects: { other: 'backup3' } },
  exclusions: { servers: { global: [], projects: {} }, volumes: { global: [], projects: {} } },
};
const inventory: InventorySnapshot = {
  workload: 'vms',
  pool: 'rbd',
  driver: 'local',
  takenAt: '2026-12-02T00:00:00.000Z',
  disks: ['a', 'b', 'c', 'd'].map((id) => ({ id, name: id, projectId: id === 'd' ? 'other' : 'moved', image: `${id}_disk`, onCeph: true })),
};

test('the config keys that still name the lost host are the refusal', () => {
  assert.deepEqual(assignmentsTo({ default: 'backup1', projects: { p: 'backup1', q: 'backup2', r: 'ignore' } }, 'backup1'), ['project_assignments.default', 'project_assignments.projects.p']);
  assert.match(takeoverRefusal('c.yaml', { default: 'backup2', projects: { p: 'backup1' } }, 'backup1')!, /^c\.yaml still assigns projects to backup1 \(project_assignments\.projects\.p\).*nothing was started$/);
  assert.equal(takeoverRefusal('c.yaml', { default: 'backup2', projects: { p: 'ignore' } }, 'backup1'), undefined);
});

test('only disks with no valid version here are planned; the others are skipped has-backup; the digest covers the planned ones', () => {
  const head = makeNightPlan(stateDir, {
    night: 'takeover/backup1/backup2/x@run',
    inventory,
    policy,
    restores: {},
    pageSize: 10,
    keep: false,
    takeover: { host: 'backup2', backedUp: new Set(['b_disk']) },
  });
  assert.deepEqual(head.queue.map((d) => d.id), ['a', 'c']);
  assert.deepEqual(head.skippedByCode, { 'other-host': 1, 'has-backup': 1 });
  assert.match(head.skipped.find((s) => s.code === 'has-backup')!.reason, /a valid version is in backup2's store already/);
  assert.equal(head.planDigest, planDigest('takeover', 'backup2', ['a_disk', 'c_disk']));
  const plain = makeNightPlan(stateDir, { night: 'n@1', inventory, policy, restores: {}, pageSize: 10, keep: false });
  assert.equal(plain.planDigest, undefined, 'a plain night has no takeover digest');
  assert.deepEqual(plain.queue.map((d) => d.id), ['a', 'b', 'c']);
});

test('a takeover that backs up needs the confirmed plan; its dry run does not', () => {
  assert.equal(NightlyInput.safeParse({ host: 'backup2', takeover: { from: 'backup1' } }).success, false);
  assert.equal(NightlyInput.safeParse({ host: 'backup2', dryRun: true, takeover: { from: 'backup1' } }).success, true);
  assert.equal(NightlyInput.safeParse({ host: 'backup2', takeover: { from: 'backup1', confirmedPlan: '0123456789' } }).success, true);
});

test("the host that takes over refuses by its own worker's config, before it lists anything", async () => {
  const config = loadConfig(LOCAL_CONFIG); // default backup1, project ops on backup2
  const untouched = new Proxy({}, { get: () => assert.fail('nothing is listed or read before the refusal') }) as never;
  const { planNight } = createInventoryActivities({ rbd: untouched, inventory: untouched, engine: untouched, config, host: config.hosts[1]! });
  const plan = (from: string) => planNight({ workload: 'vms', night: 'takeover@1', restores: {}, pageSize: 10, keep: false, takeoverFrom: from });
  await assert.rejects(plan('backup1'), (err) => err instanceof InvalidInputError && /config of backup2's worker \(.*local\.yaml\) still assigns projects to backup1 \(project_assignments\.default\)/.test(err.message));
  await assert.rejects(plan('backup2'), (err) => err instanceof InvalidInputError && /cannot run on backup2 itself/.test(err.message));
});
