// purgeExpired: one backup host's store rid of versions past their lifespan,
// then `backy2 cleanup`. It first waits until no backup or nightly run uses the
// store (backy2 2.9 holds SQLite's write lock for a whole backup), then plans
// on the host and removes in small batches, so a crash loses at most a batch's
// progress and the history shows how far it got.
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PurgeActivities } from '../activities/purge-activities.ts';
import type { StoreActivities } from '../activities/store-activities.ts';
import { type PurgeExpiredInput, PurgeExpiredInput as InputSchema, type PurgeExpiredResult } from '../lib/operations/purge.ts';
import { planChangedMessage, planDigest } from '../lib/plan-digest.ts';
import { summarizeKept } from '../lib/purge-policy.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { recordOutcome } from './audit.ts';
import { parseInput } from './parse-input.ts';

/** Versions per removeVersions call: about a minute of backy2 `rm`s. */
const BATCH = 50;

export async function purgeExpired(raw: PurgeExpiredInput): Promise<PurgeExpiredResult> {
  const input = parseInput(InputSchema, raw);
  const asOf = input.asOf ?? workflowInfo().runStartTime.toISOString();
  // A purge as of a later day would remove versions that are not expired yet; only a dry run may look ahead.
  if (!input.dryRun && Date.parse(asOf) > workflowInfo().runStartTime.getTime()) {
    throw ApplicationFailure.create({
      type: 'InvalidInputError',
      nonRetryable: true,
      message: `asOf ${asOf} is later than now (${workflowInfo().runStartTime.toISOString()}): a purge judges expiry as of now or earlier; only a dry run may look ahead; nothing was removed`,
    });
  }
  const startedAt = new Date().toISOString();
  const taskQueue = hostTaskQueue(workflowInfo().taskQueue, input.host);
  const retry = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30 };
  // A backup of a large disk runs for hours; a dead worker shows as a missing heartbeat, not the long timeout.
  const { awaitStoreIdle } = proxyActivities<StoreActivities>({ taskQueue, startToCloseTimeout: '24h', heartbeatTimeout: '1m', retry });
  const { planPurge } = proxyActivities<PurgeActivities>({ taskQueue, startToCloseTimeout: '10m', retry });
  // Removals wait in the engine's write queue behind any backup that started since, heartbeating.
  const { removeVersions, cleanupStore } = proxyActivities<PurgeActivities>({ taskQueue, startToCloseTimeout: '24h', heartbeatTimeout: '1m', retry });

  // A dry run only reads (straight from the metadata, no lock taken), so it answers at once rather than after the night's backups.
  const idle = input.dryRun ? { waitedFor: [], waitedSeconds: 0 } : await awaitStoreIdle({ host: input.host, operations: ['backup', 'nightly'], startedBefore: workflowInfo().startTime.toISOString() });
  // Inputs made before keep rules have no `keep` and no `disks`: the same plan, the same commands, so no patch is needed.
  const plan = await planPurge(
    { asOf, minAgeDays: input.minAgeDays, liveForDays: input.liveForDays, ...(input.keep ? { keep: input.keep } : {}) },
    input.dryRun ? { disks: input.disks } : undefined,
  );
  const digest = planDigest('purge', input.host, plan.remove.map((v) => v.uid));
  if (!input.dryRun && input.confirmedPlan !== undefined && input.confirmedPlan !== digest) {
    throw ApplicationFailure.create({
      type: 'PlanChangedError',
      nonRetryable: true,
      message: planChangedMessage(input.host, input.confirmedPlan, digest, plan.remove.length, 'versions'),
    });
  }
  const result = (extra: Pick<PurgeExpiredResult, 'removed'> & Partial<PurgeExpiredResult>): PurgeExpiredResult => ({
    host: input.host,
    asOf,
    minAgeDays: input.minAgeDays,
    dryRun: input.dryRun,
    waitedFor: idle.waitedFor,
    waitedSeconds: idle.waitedSeconds,
    versions: plan.versions,
    planDigest: digest,
    kept: plan.kept,
    startedAt,
    finishedAt: new Date().toISOString(),
    ...extra,
  });
  if (input.dryRun) return result({ removed: plan.remove, listing: plan.listing });

  const removed = new Set<string>();
  for (let i = 0; i < plan.remove.length; i += BATCH) {
    const batch = plan.remove.slice(i, i + BATCH);
    const r = await removeVersions({ uids: batch.map((v) => v.uid) });
    for (const uid of r.removed) removed.add(uid);
    summarizeKept(r.skipped.map((s) => ({ ...batch.find((v) => v.uid === s.uid)!, reason: s.reason })), plan.kept);
  }
  const cleanup = await cleanupStore();
  recordOutcome(removed.size === plan.remove.length ? 'ok' : 'partial');
  return result({ removed: plan.remove.filter((v) => removed.has(v.uid)), cleanup });
}
