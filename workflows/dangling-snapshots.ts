// danglingSnapshots: one backup host's snapshots that no valid version was made
// from, found and (with `purge`) removed. It runs on the host's queue, like the
// backups whose leftovers it cleans, so the store it compares against is that host's.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { SnapshotActivities } from '../activities/snapshot-activities.ts';
import { type DanglingSnapshotsResult, DanglingSnapshotsInput as InputSchema, type DanglingSnapshotsInput } from '../lib/operations/dangling-snapshots.ts';
import { planChangedMessage, planDigest } from '../lib/plan-digest.ts';
import { parseInput } from './parse-input.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';

const { findDanglingSnapshots, removeDanglingSnapshots } = proxyActivities<SnapshotActivities>({
  startToCloseTimeout: '30m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

export async function danglingSnapshots(raw: DanglingSnapshotsInput): Promise<DanglingSnapshotsResult> {
  const input = parseInput(InputSchema, raw);
  const found = await findDanglingSnapshots({ targets: input.targets });
  const key = (s: { pool: string; image: string; snapshot: string }) => `${s.pool}/${s.image}@${s.snapshot}`;
  const planned = found.filter((s) => s.state === 'dangling');
  const digest = planDigest('snapshots-purge', input.host, planned.map(key));
  // Only the plan the operator saw is carried out: a snapshot that became dangling since was never shown.
  if (input.purge && input.confirmedPlan !== digest) {
    throw ApplicationFailure.create({
      type: 'PlanChangedError',
      nonRetryable: true,
      message: planChangedMessage(input.host, input.confirmedPlan ?? 'none', digest, planned.length, 'snapshots'),
    });
  }
  const toRemove = input.purge ? planned : [];
  const { removed, kept } = toRemove.length ? await removeDanglingSnapshots({ snapshots: toRemove }) : { removed: [], kept: [] };
  const gone = new Set(removed.map(key));
  const changed = new Map(kept.map((s) => [key(s), s]));
  return {
    host: input.host,
    purge: input.purge,
    planDigest: digest,
    snapshots: found.map((s) => ({ ...(changed.get(key(s)) ?? s), removed: gone.has(key(s)) })),
  };
}
