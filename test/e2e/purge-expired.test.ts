// purgeExpired against real backy2: forty nights of versions are made with
// real `backy2 backup` runs and then backdated (dates are workflow input, not
// waited for), and the purge must leave exactly what the policy says. It must
// also wait for a backup running on the same store.
//
// The store is a private backy2 store of a private backup host, so the exact
// set of versions left is this file's alone, and neither other tests' backups
// nor their SQLite write locks get in the way.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { tsToDate } from '@temporalio/common/lib/time.js';
import yaml from 'js-yaml';
import type { PurgeExpiredResult } from '../../lib/operations/purge.ts';
import { BackupHost, diskOperationAttributes, Operation } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { nightlyAttributes, nightlyWorkflowPrefix } from '../../lib/operations/nightly-start.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import type { backupInstance } from '../../workflows/backup-instance.ts';
import type { nightlyBackups } from '../../workflows/nightly-backups.ts';
import type { purgeExpired } from '../../workflows/purge-expired.ts';
import { vmbackupConfirmed, vmbackupWith } from '../support/cli.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { config, CONFIG_FILE, POOL, rbd, uniqueVmId } from '../support/stack.ts';
import { connectClient, findWorkflows } from '../support/temporal.ts';
import { backdatedStore } from '../support/backdated-store.ts';
import { makePrivateStore } from '../support/private-store.ts';
import { useHoldPoints } from '../support/hold-points.ts';

const store = backdatedStore('purge-expired');
const { host: HOST, dir: DIR, storeCfg: STORE_CFG, configFile: CONFIG, uidsOf } = store;
const SNAP = 'night';
const AS_OF = '2001-02-10T06:00:00.000Z'; // the morning after night 40

const source = uniqueVmId('purge-src');
const nights = uniqueVmId('purge-40');
const other = uniqueVmId('purge-other');
const images: string[] = [];
let worker: WorkerProcess;
// Before any worker starts: they inherit the hold folder.
const holds = useHoldPoints();

/** Night `n` of January 2001 (n > 31 runs on into February), `YYYY-mm-dd`. */
const night = (n: number) => new Date(Date.UTC(2001, 0, n)).toISOString().slice(0, 10);
const expires = (n: number) => `expires_${night(n + config.workloads.vms.live_for_days)}`;

before(async () => {
  // A private backy2 store: the stack's backup1 config with its folder swapped.
  for (const sub of ['lock', 'data', 'nbd-cache', 'state']) mkdirSync(join(DIR, sub), { recursive: true });
  await makePrivateStore(DIR);
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    CONFIG,
    yaml.dump({ ...base, hosts: [{ name: HOST, backy2_config: STORE_CFG, state_dir: join(DIR, 'state') }], project_assignments: {} }),
  );
  worker = await startWorker(HOST, CONFIG);
  images.push(await createDisk(source, 4 * MiB));
  await rbd('snap', 'create', `${POOL}/${images[0]}@${SNAP}`);
});
after(async () => {
  holds.release('purge.before-cleanup');
  holds.release('store.waits-for');
  await worker?.stop();
  holds.dispose();
  for (const image of images) await removeDisk(image);
  // The private store holds a 256 MiB backup; nothing else reads it.
  rmSync(DIR, { recursive: true, force: true });
});

/**
 * A real `backy2 backup` of the small source disk into the private store,
 * recorded as version `name`, then dated to night `n` in backy2's own metadata.
 * The backdating stands in for forty real nights.
 */
async function backupOn(name: string, n: number, tags: string[]): Promise<string> {
  return store.backupAt(`${POOL}/${images[0]}@${SNAP}`, name, new Date(`${night(n)}T02:00:00Z`), tags);
}


/** A dry run, or a purge of the plan a dry run showed (`--yes --plan`), as an operator runs it. */
async function purge(...args: string[]): Promise<PurgeExpiredResult> {
  const r = args.includes('--dry-run') ? await vmbackupWith(CONFIG, '-o', 'json', 'purge', '--host', HOST, ...args) : (await vmbackupConfirmed(CONFIG, 'purge', '--host', HOST, ...args)).run;
  assert.equal(r.exitCode, 0, r.stderr);
  const { results } = JSON.parse(r.stdout) as { results: PurgeExpiredResult[] };
  return results[0]!;
}

test('over 40 nights of versions, purge keeps exactly what the policy says: protected and newest stay', { timeout: 600_000 }, async () => {
  const A = `${nights}_disk`;
  const B = `${other}_disk`;
  const uid = new Map<number, string>();
  for (let n = 1; n <= 40; n++) {
    // Nights 5, 6 and 36 were made by older tooling without an expiry tag: the vms lifespan applies.
    // Night 2 was kept for the year by hand.
    const tags = [5, 6, 36].includes(n) ? [] : [n === 2 ? 'expires_2001-12-31' : expires(n), 'b_daily'];
    uid.set(n, await backupOn(A, n, tags));
  }
  await execa(config.engine.bin, ['-c', STORE_CFG, 'protect', uid.get(10)!]);
  // Another disk whose every version has expired: its newest still stays.
  const b1 = await backupOn(B, 1, [expires(1)]);
  const b2 = await backupOn(B, 2, [expires(2)]);
  const everything = [...(await uidsOf(A)), ...(await uidsOf(B))];

  // A version of night n expires on night n+8 and goes once that day is over:
  // nights 1-32 as of the morning after night 40. Night 39 is younger than
  // min_age_days (3), night 40 is the newest, night 10 protected, night 2 kept for the year.
  assert.equal(config.purge.min_age_days, 3);
  const kept = [2, 10, 33, 34, 35, 36, 37, 38, 39, 40].map((n) => uid.get(n)!);
  const gone = [...uid].filter(([n]) => n <= 32 && n !== 2 && n !== 10).map(([, u]) => u);

  const plan = await purge('--as-of', AS_OF, '--dry-run');
  assert.deepEqual(plan.removed.map((v) => v.uid).sort(), [...gone, b1].sort());
  assert.deepEqual([...(await uidsOf(A)), ...(await uidsOf(B))], everything, 'a dry run removes nothing');
  assert.equal(plan.cleanup, undefined);

  const r = await purge('--as-of', AS_OF);
  assert.deepEqual(await uidsOf(A), kept, 'exactly the policy’s versions of the 40 nights are left');
  assert.deepEqual(await uidsOf(B), [b2], "the other disk's newest version is left");
  assert.deepEqual(r.removed.map((v) => v.uid).sort(), [...gone, b1].sort());
  assert.deepEqual(r.kept.byReason, { protected: 1, 'newest-valid': 2, 'too-young': 1, 'not-expired': 7 });
  const night5 = r.removed.find((v) => v.uid === uid.get(5));
  assert.equal(night5?.reason, `expired ${night(13)} (made ${night(5)} + 8 days (vms))`, 'untagged: date + live_for_days');
  assert.equal(r.removed.find((v) => v.uid === uid.get(1))?.reason, `expired ${night(9)} (tag ${expires(1)})`);
  assert.deepEqual(r.waitedFor, []);
  assert.ok(r.cleanup && r.cleanup.blobsRemoved !== undefined, 'backy2 cleanup ran and said what it did');
});

test('purge waits for a backup running on the same store before it removes anything', { timeout: 600_000 }, async () => {
  const C = `${uniqueVmId('purge-wait')}_disk`;
  const old = await backupOn(C, 1, [expires(1)]);
  const newest = await backupOn(C, 2, [expires(2)]);
  const big = uniqueVmId('purge-big');
  images.push(await createDisk(big, 256 * MiB));
  const client = await connectClient();
  try {
    // With no worker polling, the backup is Running from its start until the
    // worker is back, so the purge started meanwhile must find it, however
    // quickly the copy itself goes.
    await worker.stop();
    const backup = await client.workflow.start<typeof backupInstance>('backupInstance', {
      taskQueue: hostTaskQueue(config.temporal.task_queue, HOST),
      workflowId: `test-purge-wait/${big}`,
      args: [{ vmId: big, pool: POOL, host: HOST }],
      typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: big, host: HOST }),
    });
    const running = await findWorkflows(client, `WorkflowId = "${backup.workflowId}" AND ExecutionStatus = "Running"`);
    assert.equal(running.length, 1, 'the backup is running and visible');
    // Started as the CLI starts it.
    const purge = await client.workflow.start<typeof purgeExpired>('purgeExpired', {
      taskQueue: config.temporal.task_queue,
      workflowId: `test-purge-wait/${HOST}/${Date.now()}`,
      args: [{ host: HOST, asOf: AS_OF, minAgeDays: 3, liveForDays: { vms: 8 }, dryRun: false }],
      typedSearchAttributes: [
        { key: Operation, value: 'purge' },
        { key: BackupHost, value: HOST },
      ],
    });
    worker = await startWorker(HOST, CONFIG);
    const r = await purge.result();
    await backup.result();

    assert.deepEqual(r.waitedFor, [backup.workflowId]);
    assert.deepEqual(await uidsOf(C), [newest]);
    assert.deepEqual(r.removed.map((v) => v.uid), [old]);
    const backupClosed = (await backup.describe()).closeTime!;
    const firstRemoval = (await purge.fetchHistory()).events!.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'removeVersions',
    );
    assert.ok(firstRemoval?.eventTime, 'the purge scheduled a removal');
    const removalAt = tsToDate(firstRemoval.eventTime);
    assert.ok(backupClosed <= removalAt, `the backup closed (${backupClosed.toISOString()}) before the first removal (${removalAt.toISOString()})`);
  } finally {
    await client.connection.close();
  }
});

test('a purge and a night started together do not wait for each other for ever: the later one waits for the earlier', { timeout: 600_000 }, async () => {
  const client = await connectClient();
  try {
    // No worker while both start, so both are Running (and visible) before either looks.
    await worker.stop();
    const purge = await client.workflow.start<typeof purgeExpired>('purgeExpired', {
      taskQueue: config.temporal.task_queue,
      workflowId: `test-purge-first/${HOST}/${Date.now()}`,
      args: [{ host: HOST, asOf: AS_OF, minAgeDays: 3, liveForDays: { vms: 8 }, dryRun: false }],
      typedSearchAttributes: [
        { key: Operation, value: 'purge' },
        { key: BackupHost, value: HOST },
      ],
    });
    const night = await client.workflow.start<typeof nightlyBackups>('nightlyBackups', {
      taskQueue: config.temporal.task_queue,
      workflowId: `${nightlyWorkflowPrefix(HOST, 'vms')}-${Date.now()}`,
      args: [{ host: HOST, workload: 'vms' }],
      typedSearchAttributes: nightlyAttributes(HOST, 'vms'),
    });
    const both = await findWorkflows(client, `BackupHost = "${HOST}" AND ExecutionStatus = "Running" AND Operation IN ("purge", "nightly")`, 2);
    assert.equal(both.length, 2, 'both are running and visible');
    // The purge parks at its last step, so it is still running whenever the night looks (an
    // empty purge can otherwise end before the night's first check, which then waits for nobody).
    // The night parks where its awaitStoreIdle has looked and found the purge running.
    holds.arm('purge.before-cleanup', HOST);
    holds.arm('store.waits-for', purge.workflowId);
    worker = await startWorker(HOST, CONFIG);
    await holds.held('purge.before-cleanup');
    await holds.held('store.waits-for');
    holds.release('store.waits-for');
    holds.release('purge.before-cleanup');
    const [p, n] = await Promise.all([purge.result(), night.result()]);
    assert.deepEqual(p.waitedFor, [], 'the purge started first and waits for nobody');
    assert.deepEqual(n.waitedFor, [purge.workflowId], 'the night started second and waits for the purge');
  } finally {
    await client.connection.close();
  }
});
