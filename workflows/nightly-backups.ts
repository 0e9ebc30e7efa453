// nightlyBackups: one host's night for one workload. It takes the inventory
// once, decides for every disk (back up, or skip with the reason), runs one
// child backupInstance per disk on the host's queue a few at a time, and ends
// with a summary. A disk that fails is reported and never stops the others.
// It continues as new every `childrenPerRun` children, so a fleet of
// thousands never makes one giant history.
import {
  ActivityFailure,
  continueAsNew,
  defineQuery,
  executeChild,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FleetActivities } from '../activities/fleet-activities.ts';
import type { StoreActivities } from '../activities/store-activities.ts';
import { rootCause } from '../lib/errors.ts';
import type { InventorySnapshot } from '../lib/fleet/inventory.ts';
import { type NightlyDisk, planNightly, type SkipCode } from '../lib/fleet/plan.ts';
import type { Workload } from '../lib/naming.ts';
import {
  type NightlyCarry,
  type NightlyInput,
  NightlyInput as InputSchema,
  type NightlyProgress,
  type NightlySummary,
  summaryMemo,
} from '../lib/operations/nightly.ts';
import { diskOperationAttributes, Outcome } from '../lib/search-attributes.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { backupInstance } from './backup-instance.ts';
import { parseInput } from './parse-input.ts';

export const nightlyProgressQuery = defineQuery<NightlyProgress>('progress');

interface InventoryActivities {
  takeInventory(input: { workload: Workload }): Promise<InventorySnapshot>;
}

export async function nightlyBackups(raw: NightlyInput): Promise<NightlySummary> {
  const input = parseInput(InputSchema, raw);
  const info = workflowInfo();
  const hostQueue = hostTaskQueue(info.taskQueue, input.host);
  const host = proxyActivities<FleetActivities & StoreActivities & InventoryActivities>({
    taskQueue: hostQueue,
    startToCloseTimeout: '10m',
    heartbeatTimeout: '1m',
    retry: { initialInterval: '5s', maximumInterval: '2m', maximumAttempts: 20, nonRetryableErrorTypes: ['InvalidInputError', 'ConfigError'] },
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

  let carry = input.carry as NightlyCarry | undefined;
  if (!carry) {
    try {
      await fleetPolicy({ workload: input.workload });
    } catch (err) {
      if (!isScheduleToStartTimeout(err)) throw err;
      const reason = `host unreachable: no worker of ${input.host} took the night's first step within ${input.hostAnswerSeconds} s (queue ${hostQueue})`;
      return finish(unreachableSummary(input.host, input.workload, input.dryRun, reason));
    }
    carry = await startNight(input.host, input.workload, input.dryRun, host, waiter);
  }
  const { summary, queue } = carry;
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

  let started = 0;
  const backUp = async (disk: NightlyDisk) => {
    const workflowId = `${info.workflowId}/${disk.id}`;
    running.add(disk.id);
    try {
      const r = await executeChild(backupInstance, {
        workflowId,
        taskQueue: hostQueue,
        args: [{ vmId: disk.id, pool: carry.pool, host: input.host, project: disk.projectId, workload: input.workload, image: disk.image, liveForDays: carry.liveForDays }],
        typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: disk.id, host: input.host, project: disk.projectId, workload: input.workload }),
        // Cancelling the night cancels its backups, which clean up after themselves.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
      summary.counts[r.plan.kind] += 1;
      summary.bytesRead += r.bytesRead ?? 0;
      summary.bytesWritten += r.bytesWritten ?? 0;
      summary.backedUp.push({ ...disk, kind: r.plan.kind, versionUid: r.versionUid, bytesRead: r.bytesRead ?? 0, bytesWritten: r.bytesWritten ?? 0, workflowId });
    } catch (err) {
      const error = rootCause(err).message;
      const skip = (code: SkipCode, reason: string) => {
        summary.counts.skipped += 1;
        summary.skippedByCode[code] = (summary.skippedByCode[code] ?? 0) + 1;
        summary.skipped.push({ ...disk, code, reason });
      };
      if (rootCause(err).type === 'DiskBusyError') {
        // Another operation (a restore, a manual backup) holds the disk: tomorrow's night takes it.
        skip('busy', error);
      } else if (rootCause(err).type === 'UnknownVmError' && !(await host.stillListed({ workload: input.workload, id: disk.id }))) {
        // A disk gone from Ceph and from the inventory was deleted since the night began: not a failure.
        skip('deleted', 'deleted since the inventory was taken');
      } else {
        log.warn(`backup of ${disk.id} failed`, { error });
        summary.counts.failed += 1;
        summary.failed.push({ ...disk, error, workflowId });
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

  if (queue.length > 0) {
    log.info(`continuing as new with ${queue.length} disks to go`);
    summary.runs += 1;
    return continueAsNew<typeof nightlyBackups>({ ...input, carry: { ...carry, queue, summary } satisfies NightlyCarry });
  }
  return finish(summary);
}

/** The first run's part: wait out a purge of this store, take the inventory, decide. */
async function startNight(
  hostName: string,
  workload: Workload,
  dryRun: boolean,
  host: FleetActivities & StoreActivities & InventoryActivities,
  waiter: StoreActivities,
): Promise<NightlyCarry> {
  const { waitedFor } = dryRun ? { waitedFor: [] } : await waiter.awaitStoreIdle({ host: hostName, operations: ['purge'], startedBefore: workflowInfo().startTime.toISOString() });
  const [policy, inventory, restores] = await Promise.all([host.fleetPolicy({ workload }), host.takeInventory({ workload }), host.runningRestores()]);
  const plan = planNightly(inventory.disks, policy, new Map(Object.entries(restores)));
  const skippedByCode: NightlySummary['skippedByCode'] = {};
  for (const s of plan.skipped) skippedByCode[s.code] = (skippedByCode[s.code] ?? 0) + 1;
  const summary: NightlySummary = {
    host: hostName,
    workload,
    dryRun,
    inventory: { driver: inventory.driver, disks: inventory.disks.length, takenAt: inventory.takenAt },
    counts: { planned: plan.backup.length, full: 0, incremental: 0, skipped: plan.skipped.length, failed: 0 },
    skippedByCode,
    bytesRead: 0,
    bytesWritten: 0,
    startedAt: new Date().toISOString(),
    runs: 1,
    waitedFor,
    backedUp: [],
    skipped: plan.skipped,
    failed: [],
  };
  log.info('nightly plan', { planned: plan.backup.length, skipped: plan.skipped.length });
  return { queue: plan.backup, summary, liveForDays: policy.liveForDays, pool: policy.pool, concurrency: policy.concurrency };
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
  upsertSearchAttributes([{ key: Outcome, value: summary.unreachable ? 'unreachable' : summary.counts.failed > 0 ? 'partial' : 'ok' }]);
  return summary;
}
