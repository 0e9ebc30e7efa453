// A copy that stops making progress and never fails on its own: what a Ceph OSD
// that hangs without being marked down does to backy2 (its reads wait for
// ever) while the worker itself goes on heartbeating, so Temporal sees nothing
// wrong. The engine's watchdog (engine.stall_seconds; 5 s here) kills a copy
// that prints no progress for that long, and the activity's retry starts over.
// The stall is made with the hold point backup.during-copy, which stops backy2
// (SIGSTOP) after its first block and is never released: backy2 stands still
// exactly as behind a hung OSD. (A lone OSD cannot be left hung here without
// freezing every other test's I/O on the shared cluster; fault-ceph pauses it
// for 30 s and marks it down instead.)
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import yaml from 'js-yaml';
import { processStartTicks } from '../../activities/exec/orphans.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { createDisk, MiB, removeDisk, restoreAndSnapshotHashes, snapshotNames } from '../support/disks.ts';
import { useHoldPoints } from '../support/hold-points.ts';
import { backy2, config, CONFIG_FILE, POOL, uniqueVmId, versionRows } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';

const HOST = 'backup1';
const STALL_SECONDS = 5;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-copy-stall-'));
const vm = uniqueVmId('stall');
const image = `${vm}_disk`;
const hold = useHoldPoints();
let worker: WorkerProcess | undefined;
let client: Client | undefined;

before(async () => {
  const configFile = join(tmp, 'config.yaml');
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as { engine: Record<string, unknown> };
  writeFileSync(configFile, yaml.dump({ ...base, engine: { ...base.engine, stall_seconds: STALL_SECONDS } }));
  await createDisk(vm, 64 * MiB);
  worker = await startWorker(HOST, configFile);
  client = await connectClient();
});

after(async () => {
  hold.release('backup.during-copy');
  await worker?.stop();
  await client?.connection.close();
  for (const { uid } of await versionRows(HOST, image).catch(() => [])) await backy2(HOST, 'rm', '-f', uid).catch(() => undefined);
  await removeDisk(image).catch(() => undefined);
  hold.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test(`a copy that stands still (backy2 stopped mid-copy, as behind a hung OSD) is killed after engine.stall_seconds and retried: one valid version, byte-identical`, { timeout: 300_000 }, async () => {
  hold.arm('backup.during-copy', image);
  const handle = await client!.workflow.start('backupInstance', {
    taskQueue: hostTaskQueue(config.temporal.task_queue, HOST),
    workflowId: `test-stall/${vm}`,
    args: [{ vmId: vm, pool: POOL, host: HOST }],
    typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: vm, host: HOST }),
  });
  const held = await hold.held('backup.during-copy');
  assert.ok(held.child, 'the hold point names the copying backy2');
  // Never released: only the watchdog can end this copy.
  const result = (await handle.result()) as BackupResult;

  assert.equal(processStartTicks(held.child), undefined, 'the stalled backy2 was killed');
  const history = await handle.fetchHistory();
  const retried = history.events!.flatMap((e) => {
    const started = e.activityTaskStartedEventAttributes;
    return started && (started.attempt ?? 1) > 1 ? [started.lastFailure?.message ?? ''] : [];
  });
  assert.equal(retried.length, 1, 'one activity was retried once');
  assert.match(retried[0]!, new RegExp(`printed nothing for ${STALL_SECONDS} s and was killed`), 'the history says why');

  const rows = await versionRows(HOST, image);
  assert.equal(rows.length, 1, `exactly one version, the stalled attempt's half version removed: ${JSON.stringify(rows)}`);
  assert.ok(rows[0]!.valid && rows[0]!.uid === result.versionUid, 'it is the valid version the workflow returned');
  assert.deepEqual(await snapshotNames(image), [result.plan.snapshot], "one snapshot, the version's");
  const hashes = await restoreAndSnapshotHashes(HOST, image, result.plan.snapshot, result.versionUid!);
  assert.equal(hashes.restored, hashes.snapshot, 'the restore is byte-identical to the snapshot');
});
