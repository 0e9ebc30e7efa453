// The nightly job end to end: Schedules applied from the config, triggered,
// one nightlyBackups per host on two separate worker processes, each VM's
// backup a child workflow on its host's queue. OpenStack cannot run here, so
// Nova/Keystone/Cinder/Glance are faked at their HTTP boundary
// (test/support/fake-openstack.ts); the inventory comes from the real
// `openstack` CLI talking to it. Temporal, Ceph and backy2 are real.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../lib/config/load.ts';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { nightlyProgressQuery } from '../../workflows/definitions.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { changeBlocks, createDisk, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { type FakeOpenstack, fakeServer } from '../support/fake-openstack.ts';
import { withFakeOpenstack } from '../support/openstack-stack.ts';
import { backy2, POOL, rbd, uniqueVmId } from '../support/stack.ts';
import { connectClient, deleteSchedules, findWorkflows } from '../support/temporal.ts';
import { vmbackupWith } from '../support/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-nightly-'));
const run = uniqueVmId('n');
/** 12 VMs in 3 projects: alpha goes to backup1 (the default), beta to backup2, gamma is ignored. */
const VMS = [
  { key: 'a-db-1', project: 'p-alpha' },
  { key: 'a-web-1', project: 'p-alpha' },
  { key: 'a-web-2', project: 'p-alpha' },
  { key: 'a-k8s-worker-1', project: 'p-alpha' }, // excluded by the global regex
  { key: 'scratch-tmp', project: 'p-alpha' }, // excluded by alpha's own regex
  { key: 'a-new', project: 'p-alpha', status: 'BUILD' },
  { key: 'b-app-1', project: 'p-beta' },
  { key: 'b-app-2', project: 'p-beta' },
  { key: 'b-app-3', project: 'p-beta' },
  { key: 'b-app-4', project: 'p-beta' },
  { key: 'g-1', project: 'p-gamma' },
  { key: 'g-2', project: 'p-gamma' },
].map((v) => ({ ...v, id: `${run}-${v.key}`, name: v.key }));
const idOf = (key: string) => VMS.find((v) => v.key === key)!.id;

let fake: FakeOpenstack;
let configFile: string;
let workers: WorkerProcess[] = [];
let client: Client;

const cli = async <T>(...args: string[]): Promise<T> => {
  const r = await vmbackupWith(configFile, '-o', 'json', ...args);
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`vmbackup ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

before(async () => {
  ({ fake, configFile } = await withFakeOpenstack(
    tmp,
    {
      projects: [
        { id: 'p-admin', name: 'admin' },
        { id: 'p-alpha', name: 'alpha' },
        { id: 'p-beta', name: 'beta' },
        { id: 'p-gamma', name: 'gamma' },
      ],
      servers: VMS.map((v) => fakeServer({ id: v.id, name: v.name, projectId: v.project, status: v.status ?? 'ACTIVE' })),
    },
    (base) => ({
      // One backup at a time on backup1, so a disk can be removed while the run is under way.
      hosts: (base.hosts as Array<Record<string, unknown>>).map((h, i) => ({ ...h, concurrency: i === 0 ? 1 : 2, schedule: { time_zone: 'Europe/Berlin', vms: i === 0 ? '05:00' : '17:00' } })),
      inventory: { driver: 'openstack' },
      project_assignments: { default: 'backup1', projects: { 'p-beta': 'backup2', 'p-gamma': 'ignore' } },
      exclude: { servers: { global: ['.*-k8s-worker-[0-9]+'], projects: { 'p-alpha': ['scratch-.*'] } } },
    }),
  ));
  await Promise.all(VMS.map((v) => createDisk(v.id, v.key === 'a-db-1' ? 128 * MiB : 8 * MiB, 2 * MiB)));
  workers = await Promise.all(['backup1', 'backup2'].map((h) => startWorker(h, configFile)));
  client = await connectClient();
});

after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  // This file's Schedules carry its private task queue as id prefix: remove exactly those.
  await deleteSchedules(client, loadConfig(configFile));
  await fake?.stop();
  for (const v of VMS) await removeDisk(`${v.id}_disk`).catch(() => undefined);
  await client?.connection.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('a triggered schedule backs up exactly the assigned VMs on each host; the summary says why each other one was skipped', { timeout: 600_000 }, async () => {
  const applied = await cli<{ changes: Array<{ scheduleId: string; change: string }> }>('schedule', 'apply');
  assert.deepEqual(applied.changes.map((c) => [c.scheduleId.split('/').slice(1).join('/'), c.change]).sort(), [['backup1/vms', 'create'], ['backup2/vms', 'create']]);
  const again = await cli<{ changes: Array<{ change: string }> }>('schedule', 'apply');
  assert.deepEqual(again.changes.map((c) => c.change), ['unchanged', 'unchanged'], 'apply is idempotent');

  const [night1, night2] = await Promise.all(
    ['backup1/vms', 'backup2/vms'].map((s) => cli<{ workflowId: string; result: NightlySummary }>('schedule', 'trigger', s, '--wait')),
  );
  const s1 = night1!.result;
  const s2 = night2!.result;
  assert.deepEqual(s1.backedUp.map((d) => d.name).sort(), ['a-db-1', 'a-web-1', 'a-web-2']);
  assert.deepEqual(s2.backedUp.map((d) => d.name).sort(), ['b-app-1', 'b-app-2', 'b-app-3', 'b-app-4']);
  assert.deepEqual(s1.counts, { planned: 3, full: 3, incremental: 0, skipped: 9, failed: 0 });
  assert.deepEqual(s2.counts, { planned: 4, full: 4, incremental: 0, skipped: 8, failed: 0 });
  const reasons = Object.fromEntries(s1.skipped.map((d) => [d.name, d.code]));
  assert.deepEqual(reasons, {
    'a-k8s-worker-1': 'excluded',
    'scratch-tmp': 'excluded',
    'a-new': 'building',
    'b-app-1': 'other-host',
    'b-app-2': 'other-host',
    'b-app-3': 'other-host',
    'b-app-4': 'other-host',
    'g-1': 'ignored',
    'g-2': 'ignored',
  });
  const reasonOf = (name: string) => s1.skipped.find((d) => d.name === name)!.reason;
  assert.match(reasonOf('a-k8s-worker-1'), /exclude\.servers\.global \/\.\*-k8s-worker-\[0-9\]\+\//);
  assert.match(reasonOf('scratch-tmp'), /exclude\.servers\.projects\.p-alpha/);
  assert.match(reasonOf('b-app-1'), /backed up on backup2/);
  assert.match(reasonOf('g-1'), /ignored/);
  assert.ok(s1.bytesRead > 0 && s1.bytesWritten > 0, 'bytes read and written are summed');

  // What an operator would check on Ceph and in the stores: one snapshot of the
  // right host on each backed-up disk, none on a skipped one, each version in
  // its host's store only.
  for (const [summary, host] of [[s1, 'backup1'], [s2, 'backup2']] as const) {
    for (const d of summary.backedUp) {
      assert.deepEqual((await snapshotNames(`${d.id}_disk`)).map((n) => n.split('_').at(-1)), [host], `${d.name}: one snapshot, by ${host}`);
      assert.match(await backy2(host, 'ls', `${d.id}_disk`), new RegExp(d.versionUid!));
    }
  }
  for (const key of ['a-k8s-worker-1', 'scratch-tmp', 'a-new', 'g-1', 'g-2']) assert.deepEqual(await snapshotNames(`${idOf(key)}_disk`), [], `${key} untouched`);
  assert.doesNotMatch(await backy2('backup2', 'ls'), new RegExp(idOf('a-db-1')));

  // The Web UI's (and `vmbackup status`'s) filter finds that VM's backup.
  const found = await findWorkflows(client, `Operation = "backup" AND VmId = "${idOf('a-web-1')}"`);
  assert.equal(found.length, 1);
  assert.ok(found[0]!.workflowId.startsWith(`${night1!.workflowId}/`), `the backup is a child of the night: ${found[0]!.workflowId}`);
});

test('a disk removed mid-run fails alone: the other VMs complete and the summary names the failure', { timeout: 600_000 }, async () => {
  // Enough changed data that a-db-1's backup (first in line) lasts while the others' disks go.
  await changeBlocks(`${idOf('a-db-1')}_disk`, 128 * MiB, 24, 4 * MiB);
  const [started] = await cli<Array<{ workflowId: string }>>('run-nightly', '--host', 'backup1');
  const handle = client.workflow.getHandle(started!.workflowId);
  // backup1 runs one backup at a time, in name order: once the first is under way, the last is still to come.
  for (;;) {
    const p = await handle.query(nightlyProgressQuery).catch(() => undefined);
    if (p && p.running.length > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // a-web-1 is deleted for good (from Nova too): that is a skip, not a failure.
  fake.servers.delete(idOf('a-web-1'));
  for (const key of ['a-web-1', 'a-web-2']) {
    await rbd('snap', 'purge', `${POOL}/${idOf(key)}_disk`);
    await rbd('rm', '--no-progress', `${POOL}/${idOf(key)}_disk`);
  }

  const summary = (await handle.result()) as NightlySummary;
  assert.deepEqual(summary.backedUp.map((d) => [d.name, d.kind]), [['a-db-1', 'incremental']]);
  assert.deepEqual(summary.failed.map((d) => d.name), ['a-web-2']);
  assert.match(summary.failed[0]!.error, /no disk .*a-web-2_disk/);
  assert.equal(summary.skipped.find((d) => d.name === 'a-web-1')?.code, 'deleted');
  assert.equal(summary.counts.failed, 1);
});
