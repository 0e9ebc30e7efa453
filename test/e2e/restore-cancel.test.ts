// A restore never strands a VM: cancelled at any step (or its restoreProject
// parent terminated), it undoes what it did. The VM runs again, the original
// image is back under its name byte-identical, and nothing is left aside. The
// worker is parked at each step by a hold point (activities/test-hooks.ts), so
// the cancel lands exactly there. OpenStack is faked at its HTTP boundary; the
// `openstack` CLI, Temporal, Ceph and backy2 are real.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Client, TerminatedFailure, type WorkflowHandle, WorkflowFailedError } from '@temporalio/client';
import type { HoldPoint } from '../../activities/test-hooks.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { diskLockId } from '../../lib/operations/disk-lock.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { changeBlocks, createDisk, imageHash, MiB, removeDisk } from '../support/disks.ts';
import { fakeServer, type FakeOpenstack } from '../support/fake-openstack.ts';
import { type HoldPoints, useHoldPoints } from '../support/hold-points.ts';
import { withFakeOpenstack } from '../support/openstack-stack.ts';
import { config, POOL, rbd, uniqueVmId } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';

const HOST = 'backup1';
const SIZE = 64 * MiB;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-rcancel-'));
const vm = uniqueVmId('rcancel');
const image = `${vm}_disk`;
const massVm = uniqueVmId('rmass');
const massImage = `${massVm}_disk`;
const queue = hostTaskQueue(config.temporal.task_queue, HOST);
let holds: HoldPoints;
let fake: FakeOpenstack;
let worker: WorkerProcess;
let client: Client;
const versions = new Map<string, string>();
const originals = new Map<string, string>();


/** A disk backed up once, then changed: restoring it would change its bytes. */
async function backedUpDisk(id: string, configFile: string): Promise<void> {
  const disk = await createDisk(id, SIZE, SIZE / 2);
  const r = await vmbackupWith(configFile, '-o', 'json', 'backup', id, '--wait', '--host', HOST);
  assert.equal(r.exitCode, 0, r.stderr);
  versions.set(id, (JSON.parse(r.stdout) as BackupResult).versionUid!);
  await changeBlocks(disk, SIZE, 4);
  originals.set(id, await imageHash(disk));
}

before(async () => {
  holds = useHoldPoints();
  let configFile: string;
  ({ fake, configFile } = await withFakeOpenstack(tmp, {
    servers: [fakeServer({ id: vm, name: 'cancel-me', projectId: 'p-admin' }), fakeServer({ id: massVm, name: 'mass-1', projectId: 'p-demo' })],
  }));
  fake.powerDelayMs = 200;
  worker = await startWorker(HOST, configFile);
  client = await connectClient();
  await backedUpDisk(vm, configFile);
  await backedUpDisk(massVm, configFile);
});

after(async () => {
  await worker?.stop();
  await fake?.stop();
  await client?.connection.close();
  holds?.dispose();
  for (const i of (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(image) || n.startsWith(massImage))) await removeDisk(i);
  rmSync(tmp, { recursive: true, force: true });
});

/** What an operator checks after a restore that did not complete: all as before. */
async function assertAllBack(id: string): Promise<void> {
  const disk = `${id}_disk`;
  assert.equal(fake.servers.get(id)!.status, 'ACTIVE', `VM ${id} runs again`);
  assert.equal(await imageHash(disk), originals.get(id), 'the original image is back under its name, byte-identical');
  const aside = (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(`${disk}.vmbackup-aside-`));
  assert.deepEqual(aside, [], 'nothing is left aside');
  const marks = (await rbd('image-meta', 'list', '--format', 'json', `${POOL}/${disk}`)) || '{}';
  assert.deepEqual(JSON.parse(marks), {}, 'the original carries no restore marks');
  // The disk's lock was held through the undo: closed with the restore (terminated by its close),
  // not cancelled with it. Its result is awaited on the server, whenever the close policy runs.
  await assert.rejects(
    client.workflow.getHandle(diskLockId(POOL, disk)).result(),
    (e: unknown) => e instanceof WorkflowFailedError && e.cause instanceof TerminatedFailure,
    'the lock ended with the restore, not at the cancel',
  );
}

function startRestore(id: string, name: string): Promise<WorkflowHandle> {
  return client.workflow.start('restoreInstance', {
    taskQueue: queue,
    workflowId: `test-restore-cancel/${id}/${name}`,
    args: [{ vmId: id, pool: POOL, image: `${id}_disk`, host: HOST, versionUid: versions.get(id)!, manageServer: true, waitSeconds: 60 }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'restore', vmId: id, host: HOST }),
  });
}

const cancelled = (err: unknown) => err instanceof WorkflowFailedError && /cancel/i.test(String(err.cause?.message ?? err.cause));

describe('a cancelled restore puts everything back', () => {
  // The stop and start points are keyed by VM id, the others by image name.
  const points: HoldPoint[] = ['restore.after-stop', 'restore.after-move-aside', 'restore.before-restore', 'restore.after-restore', 'restore.before-start'];
  for (const point of points) {
    test(`cancelled at ${point}`, { timeout: 180_000 }, async () => {
      holds.arm(point, point.endsWith('-stop') || point.endsWith('-start') ? vm : image);
      const handle = await startRestore(vm, point);
      await holds.held(point);
      await handle.cancel();
      // The step in hand then ends as it would have: the workflow must undo it all the same.
      holds.release(point);
      await assert.rejects(handle.result(), cancelled);
      await assertAllBack(vm);
    });
  }

  test('cancelled while a step is still running (it never reports back): that step is undone too', { timeout: 180_000 }, async () => {
    holds.arm('restore.after-move-aside', image);
    const handle = await startRestore(vm, 'mid-step');
    await holds.held('restore.after-move-aside');
    await handle.cancel();
    // Not released: the parked activity learns of the cancel through its heartbeat and fails.
    await assert.rejects(handle.result(), cancelled);
    await assertAllBack(vm);
  });
});

for (const how of ['terminated', 'cancelled'] as const) {
  test(`a restoreProject ${how} mid-restore: its child restore is cancelled and puts everything back`, { timeout: 240_000 }, async () => {
    holds.arm('restore.before-restore', massImage);
    const parent = await client.workflow.start('restoreProject', {
      taskQueue: config.temporal.task_queue,
      workflowId: `test-restore-cancel/project/${massVm}/${how}`,
      args: [{ project: 'p-demo', pool: POOL, hosts: [HOST], concurrency: 1, waitSeconds: 60 }],
    });
    await holds.held('restore.before-restore');
    const children = (await parent.describe()).raw.pendingChildren ?? [];
    const childId = children.map((c) => c.workflowId ?? '').find((id) => id.includes(massVm));
    assert.ok(childId, `the parent runs a child restore of ${massVm}: ${JSON.stringify(children)}`);
    if (how === 'terminated') await parent.terminate('test: the operator terminates a mass restore');
    else await parent.cancel();
    holds.release('restore.before-restore');
    await assert.rejects(client.workflow.getHandle(childId).result(), cancelled);
    if (how === 'cancelled') await assert.rejects(parent.result(), cancelled, 'the mass restore ends as cancelled, not as a run with failures');
    await assertAllBack(massVm);
  });
}
