// A lost backup host's disks taken over (`vmbackup takeover`): once the config
// assigns the lost host's projects to the hosts that remain, each of those runs
// a night (workflow nightlyBackups with `takeover`) of only the disks assigned
// to it that have no valid version in its store yet: full backups, as children
// the Web UI shows. After each one, the lost host's snapshots on that disk go:
// they only served its incrementals, and they keep growing on Ceph. The lost
// host's store is never opened: it may come back.
import { z } from 'zod';
import type { ProjectAssignments } from '../config/schema.ts';
import { NightlyDisk } from '../fleet/plan.ts';
import { HostName } from '../naming.ts';
import { PlanDigest } from '../plan-digest.ts';

export const TakeoverInput = z.strictObject({
  /** The lost host: its snapshots on each disk taken over go once this host's version is valid. */
  from: HostName,
  /** The digest of the plan the operator confirmed (the dry run's `takeover.planDigest`); required unless a dry run. */
  confirmedPlan: PlanDigest.optional(),
});
export type TakeoverInput = z.infer<typeof TakeoverInput>;

/** What a takeover night adds to its summary. Bounded as the rest of it. */
export const TakeoverReport = z.object({
  from: z.string(),
  /** Digest of the disks to back up (`--yes --plan <host>:<digest>`). */
  planDigest: z.string(),
  /** The first SUMMARY_LIST_MAX disks to back up; counts.planned is the total. */
  planned: z.array(NightlyDisk),
  /** Snapshots of the lost host removed, over every disk taken over. */
  removedSnapshots: z.number(),
  /** Disks whose lost-host snapshots stay, and why (the first SUMMARY_LIST_MAX). */
  snapshotsKept: z.array(z.string()),
});
export type TakeoverReport = z.infer<typeof TakeoverReport>;

/** The keys of `project_assignments` that still name `host`. */
export function assignmentsTo(assignments: ProjectAssignments, host: string): string[] {
  const keys = Object.entries(assignments.projects)
    .filter(([, h]) => h === host)
    .map(([project]) => `project_assignments.projects.${project}`);
  return assignments.default === host ? ['project_assignments.default', ...keys] : keys;
}

/** Why a takeover from `from` is refused by the config at `source`, or undefined when it may go on. */
export function takeoverRefusal(source: string, assignments: ProjectAssignments, from: string): string | undefined {
  const keys = assignmentsTo(assignments, from);
  if (keys.length === 0) return undefined;
  return (
    `${source} still assigns projects to ${from} (${keys.join(', ')}): a takeover backs up on the hosts the config names, ` +
    `so assign those projects to the host(s) that take over, restart those hosts' workers with the new config, then run the takeover again; nothing was started`
  );
}
