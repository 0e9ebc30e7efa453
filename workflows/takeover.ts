// The part of a night that takes over a lost host's disks (lib/operations/takeover.ts):
// only the plan the operator confirmed runs, and after each disk's backup the
// lost host's snapshots on that disk go. Workflow code: decides, the host acts.
import { ApplicationFailure } from '@temporalio/workflow';
import type { SnapshotActivities } from '../activities/snapshot-activities.ts';
import { rootCause } from '../lib/errors.ts';
import type { NightlyDisk } from '../lib/fleet/plan.ts';
import { type NightlySummary, SUMMARY_LIST_MAX } from '../lib/operations/nightly.ts';
import type { TakeoverInput, TakeoverReport } from '../lib/operations/takeover.ts';
import { planChangedMessage } from '../lib/plan-digest.ts';

/** The summary's takeover part, from the host's plan. */
export function takeoverReport(from: string, plan: { planDigest?: string | undefined; queue: NightlyDisk[] }): TakeoverReport {
  return { from, planDigest: plan.planDigest ?? '', planned: plan.queue.slice(0, SUMMARY_LIST_MAX), removedSnapshots: 0, snapshotsKept: [] };
}

/** Refuses (nothing backed up, nothing removed) unless the host planned exactly what the operator confirmed. */
export function assertConfirmed(host: string, takeover: TakeoverInput, report: TakeoverReport, planned: number): void {
  if (takeover.confirmedPlan === report.planDigest) return;
  throw ApplicationFailure.create({
    type: 'PlanChangedError',
    nonRetryable: true,
    message: planChangedMessage(host, takeover.confirmedPlan ?? 'none', report.planDigest, planned, 'disks to back up'),
  });
}

/** After `disk` was backed up here: the lost host's snapshots on it go (a failure to remove is reported, never fails the night). */
export async function dropLostHostSnapshots(host: Pick<SnapshotActivities, 'removeLostHostSnapshots'>, summary: NightlySummary, disk: NightlyDisk, pool: string): Promise<void> {
  const report = summary.takeover!;
  const keep = (why: string) => {
    if (report.snapshotsKept.length < SUMMARY_LIST_MAX) report.snapshotsKept.push(`${disk.image}: ${why}`);
  };
  try {
    const { removed, kept } = await host.removeLostHostSnapshots({ pool, image: disk.image, from: report.from });
    report.removedSnapshots += removed.length;
    if (kept.length) keep(`protected ${kept.join(', ')}`);
  } catch (err) {
    keep(rootCause(err).message);
  }
}
