// nightlyBackups: one host's night for one workload. The host takes the
// inventory once and decides for every disk (back up, or skip with the reason:
// activity planNight, which keeps the queue in a file on the host); the night
// runs one child backupInstance per disk on the host's queue a few at a time,
// reading the queue a page per run, and ends with a bounded summary. A disk
// that fails is reported and never stops the others. It continues as new every
// `childrenPerRun` children carrying only the queue's offset, the counts and
// the first entries of each list, so a fleet of thousands never makes a giant
// history or payload. A takeover night (`vmbackup takeover`, workflows/takeover.ts)
// is the same night over only the disks this host has no valid version of yet.
import {
  ActivityFailure,
  continueAsNew,
  executeChild,
  log,
  metricMeter,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FleetActivities } from '../activities/fleet-activities.ts';
import type { InventoryActivities } from '../activities/inventory-activities.ts';
import type { StoreActivities } from '../activities/store-activities.ts';
import { NON_RETRYABLE_TYPES, rootCause } from '../lib/errors.ts';
import type { FleetPolicy, NightlyDisk, SkipCode } from '../lib/fleet/plan.ts';
import type { Workload } from '../lib/naming.ts';
import {
  type NightlyCarry,
  type NightlyInput,
  NightlyInput as InputSchema,
  type NightlyProgress,
  type NightlySummary,
  recordBackedUp,
  recordFailed,
  recordSkipped,
  summaryMemo,
} from '../lib/operations/nightly.ts';
import { METRICS } from '../lib/metrics.ts';
import { diskOperationAttributes, Outcome } from '../lib/search-attributes.ts';
import { childAudit } from './audit.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { backupInstance } from './backup-instance.ts';
import { nightlyProgressQuery } from './definitions.ts';
import { assertConfirmed, dropLostHostSnapshots, takeoverReport } from './takeover.ts';
import type { SnapshotActivities } from '../activities/snapshot-activities.ts';
import type { TakeoverInput } from '../lib/operations/takeover.ts';
import { parseInput } from './parse-input.ts';


export async function nightlyBackups(raw: NightlyInput): Promise<NightlySummary> {
  const input = parseInput(InputSchema, raw);
  const info = workflowInfo();
  const hostQueue = hostTaskQueue(info.taskQueue, input.host);
  const host = proxyActivities<FleetActivities & StoreActivities & InventoryActivities & SnapshotActivities>({
    taskQueue: hostQueue,
    startToCloseTimeout: '10m',
    heartbeatTimeout: '1m',
    retry: { initialInterval: '5s', maximumInterval: '2m', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
  });
  // Waiting for a purge can take as long as the purge; its heartbeat says it is alive.
  const waiter = proxyActivities<StoreActivities>({ taskQueue: hostQueue, startToCloseTimeout: '12h', heartbeatTimeout: '1m' });
  // The night's first step on the host: no worker takes it in time, the host is down.
  const { fleetPolicy } = proxyActivities<FleetActivities>({
    taskQueue: hostQueue,
    scheduleToStartTimeout: input.hostAnswerSeconds * 1000,
    startToCloseTimeout: '5m',
    retry: { maximumAttempts: 5 },
  });

  let carry = input.carry;
  let queue: NightlyDisk[];
  if (!carry) {
    let policy: FleetPolicy;
    try {
      policy = await fleetPolicy({ workload: input.workload });
    } catch (err) {
      if (!isScheduleToStartTimeout(err)) throw err;
      const reason = `host unreachable: no worker of ${input.host} took the night's first step within ${input.hostAnswerSeconds} s (queue ${hostQueue})`;
      return finish(unreachableSummary(input.host, input.workload, input.dryRun, reason));
    }
    // One key per night, shared by its continued runs: the host's plan file.
    const night = `${info.workflowId}@${info.firstExecutionRunId}`;
    ({ carry, queue } = await startNight({ ...input, night, policy }, host, waiter));
    if (input.takeover && !input.dryRun) {
      try {
        assertConfirmed(input.host, input.takeover, carry.summary.takeover!, carry.summary.counts.planned);
      } catch (err) {
        await host.forgetNight({ night });
        throw err;
      }
    }
  } else {
    queue = await host.nightQueue({ night: carry.plan, offset: carry.offset, limit: input.childrenPerRun });
  }
  const { summary } = carry;
  const running = new Set<string>();
  const progress = (): NightlyProgress => ({
    planned: summary.counts.planned,
    done: summary.counts.full + summary.counts.incremental + summary.counts.failed,
    running: [...running],
    failed: summary.counts.failed,
    skipped: summary.counts.skipped,
    run: summary.runs,
  });
  setHandler(nightlyProgressQuery, progress);
  if (input.dryRun) return finish(summary);
  const { pool, liveForDays } = carry;

  let started = 0;
  const backUp = async (disk: NightlyDisk) => {
    const workflowId = `${info.workflowId}/${disk.id}`;
    running.add(disk.id);
    try {
      const args = { vmId: disk.id, pool, host: input.host, project: disk.projectId, workload: input.workload, image: disk.image, liveForDays };
      const attributes = diskOperationAttributes({ operation: 'backup', vmId: disk.id, vmName: disk.name, host: input.host, project: disk.projectId, workload: input.workload });
      const r = await executeChild(backupInstance, {
        workflowId,
        taskQueue: hostQueue,
        args: [args],
        ...childAudit('backupInstance', attributes, args),
        // Cancelling the night cancels its backups, which clean up after themselves.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
      recordBackedUp(summary, { ...disk, kind: r.plan.kind, versionUid: r.versionUid, bytesRead: r.bytesRead ?? 0, bytesWritten: r.bytesWritten ?? 0, workflowId });
      if (input.takeover) await dropLostHostSnapshots(host, summary, disk, pool);
    } catch (err) {
      const error = rootCause(err).message;
      const skip = (code: SkipCode, reason: string) => recordSkipped(summary, { ...disk, code, reason });
      if (rootCause(err).type === 'DiskBusyError') {
        // Another operation (a restore, a manual backup) holds the disk: tomorrow's night takes it.
        skip('busy', error);
      } else if (rootCause(err).type === 'UnknownVmError' && !(await host.stillListed({ workload: input.workload, id: disk.id }))) {
        // A disk gone from Ceph and from the inventory was deleted since the night began: not a failure.
        skip('deleted', 'deleted since the inventory was taken');
      } else {
        log.warn(`backup of ${disk.id} failed`, { error });
        recordFailed(summary, { ...disk, error, workflowId });
        // The reason is the failure's type (StoreFullError, a timeout, …): a bounded label, never the message.
        metricMeter.createCounter(METRICS.diskFailures, '1', 'disks whose backup failed in a night').add(1, { host: input.host, workload: input.workload, reason: failureReason(err) });
      }
    } finally {
      running.delete(disk.id);
    }
  };
  // A fixed number of lanes, each taking the next disk: bounded concurrency, deterministic order.
  const lane = async () => {
    while (started < input.childrenPerRun && !workflowInfo().continueAsNewSuggested) {
      const disk = queue.shift();
      if (!disk) return;
      started += 1;
      await backUp(disk);
    }
  };
  await Promise.all(Array.from({ length: carry.concurrency }, lane));
  upsertMemo({ summary: summaryMemo(summary) });

  const offset = carry.offset + started;
  // started 0 with disks to go would mean a plan file shorter than its count: never loop on it.
  if (offset < summary.counts.planned && started > 0) {
    log.info(`continuing as new with ${summary.counts.planned - offset} disks to go`);
    summary.runs += 1;
    return continueAsNew<typeof nightlyBackups>({ ...input, carry: { ...carry, offset, summary } satisfies NightlyCarry });
  }
  // Best effort: a plan file left behind is pruned by a later night.
  await host.forgetNight({ night: carry.plan }).catch((err: unknown) => log.warn('night plan not removed', { error: rootCause(err).message }));
  return finish(summary);
}

/** The first run's part: wait out a purge of this store, then the host plans the night. */
async function startNight(
  input: { host: string; workload: Workload; dryRun: boolean; childrenPerRun: number; night: string; policy: FleetPolicy; takeover?: TakeoverInput | undefined },
  host: FleetActivities & StoreActivities & InventoryActivities,
  waiter: StoreActivities,
): Promise<{ carry: NightlyCarry; queue: NightlyDisk[] }> {
  const { dryRun, policy } = input;
  const { waitedFor } = dryRun ? { waitedFor: [] } : await waiter.awaitStoreIdle({ host: input.host, operations: ['purge'], startedBefore: workflowInfo().startTime.toISOString() });
  const restores = await host.runningRestores();
  const takeover = input.takeover && { takeoverFrom: input.takeover.from };
  const plan = await host.planNight({ workload: input.workload, night: input.night, restores, pageSize: input.childrenPerRun, keep: !dryRun, ...takeover });
  const summary: NightlySummary = {
    host: input.host,
    workload: input.workload,
    dryRun,
    inventory: plan.inventory,
    counts: { planned: plan.planned, full: 0, incremental: 0, skipped: plan.skippedCount, failed: 0 },
    skippedByCode: plan.skippedByCode,
    bytesRead: 0,
    bytesWritten: 0,
    startedAt: new Date().toISOString(),
    runs: 1,
    waitedFor,
    backedUp: [],
    skipped: plan.skipped,
    failed: [],
    ...(input.takeover && { takeover: takeoverReport(input.takeover.from, plan) }),
  };
  log.info('nightly plan', { planned: plan.planned, skipped: plan.skippedCount });
  return { carry: { plan: input.night, offset: 0, summary, liveForDays: policy.liveForDays, pool: policy.pool, concurrency: policy.concurrency }, queue: plan.queue };
}

function isScheduleToStartTimeout(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
}

/** A night whose host never answered: nothing planned, nothing done, and the reason. */
function unreachableSummary(host: string, workload: Workload, dryRun: boolean, reason: string): NightlySummary {
  log.warn(reason);
  const now = new Date().toISOString();
  return {
    host,
    workload,
    dryRun,
    unreachable: reason,
    inventory: { driver: 'none', disks: 0, takenAt: now },
    counts: { planned: 0, full: 0, incremental: 0, skipped: 0, failed: 0 },
    skippedByCode: {},
    bytesRead: 0,
    bytesWritten: 0,
    startedAt: workflowInfo().startTime.toISOString(),
    runs: 1,
    waitedFor: [],
    backedUp: [],
    skipped: [],
    failed: [],
  };
}

function finish(summary: NightlySummary): NightlySummary {
  const finishedAt = new Date();
  summary.finishedAt = finishedAt.toISOString();
  summary.durationSeconds = Math.round((finishedAt.getTime() - Date.parse(summary.startedAt)) / 1000);
  upsertMemo({ summary: summaryMemo(summary) });
  const outcome = summary.unreachable ? 'unreachable' : summary.counts.failed > 0 ? 'partial' : 'ok';
  upsertSearchAttributes([{ key: Outcome, value: outcome }]);
  if (!summary.dryRun) {
    // Metrics make no commands: no patch needed, and the SDK drops them on replay.
    const tags = { host: summary.host, workload: summary.workload };
    metricMeter.createCounter(METRICS.nightsFinished, '1', 'nights finished, by outcome').add(1, { ...tags, outcome });
    metricMeter.createGauge(METRICS.nightDuration, 'int', 's', "the last finished night's duration").set(summary.durationSeconds, tags);
  }
  return summary;
}

/** A failure's type, for a label: the application error's type, else the failure's class (TimeoutFailure, …). */
function failureReason(err: unknown): string {
  const cause = rootCause(err);
  const reason = cause.type ?? cause.name;
  return /^[A-Za-z0-9_]{1,64}$/.test(reason) ? reason : 'other';
}
