// danglingSnapshots: one backup host's snapshots that no valid version was made
// from, found and (with `purge`) removed. It runs on the host's queue, like the
// backups whose leftovers it cleans, so the store it compares against is that host's.
import { proxyActivities } from '@temporalio/workflow';
import type { SnapshotActivities } from '../activities/snapshot-activities.ts';
import { type DanglingSnapshotsResult, DanglingSnapshotsInput as InputSchema, type DanglingSnapshotsInput } from '../lib/operations/dangling-snapshots.ts';
import { parseInput } from './parse-input.ts';

const { findDanglingSnapshots, removeDanglingSnapshots } = proxyActivities<SnapshotActivities>({
  startToCloseTimeout: '30m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInputError'] },
});

export async function danglingSnapshots(raw: DanglingSnapshotsInput): Promise<DanglingSnapshotsResult> {
  const input = parseInput(InputSchema, raw);
  const found = await findDanglingSnapshots({ targets: input.targets });
  const toRemove = input.purge ? found.filter((s) => s.state === 'dangling') : [];
  const { removed, kept } = toRemove.length ? await removeDanglingSnapshots({ snapshots: toRemove }) : { removed: [], kept: [] };
  const key = (s: { pool: string; image: string; snapshot: string }) => `${s.pool}/${s.image}@${s.snapshot}`;
  const gone = new Set(removed.map(key));
  const changed = new Map(kept.map((s) => [key(s), s]));
  return {
    host: input.host,
    purge: input.purge,
    snapshots: found.map((s) => ({ ...(changed.get(key(s)) ?? s), removed: gone.has(key(s)) })),
  };
}
