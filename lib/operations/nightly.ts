// Input and summary of the `nightlyBackups` workflow: one host, one workload,
// every disk the inventory lists. The summary is the workflow's result and
// memo; it is what an operator reads the morning after. It stays bounded
// whatever the fleet's size: counts of everything, the first entries of each list.
import { z } from 'zod';
import { HostName, Workload } from '../naming.ts';
import { NightlyDisk, SkipCode, SkippedDisk } from '../fleet/plan.ts';
import { TakeoverInput, TakeoverReport } from './takeover.ts';

export const BackedUpDisk = NightlyDisk.extend({
  kind: z.enum(['full', 'incremental']),
  versionUid: z.string().optional(),
  bytesRead: z.number(),
  bytesWritten: z.number(),
  workflowId: z.string(),
});
export type BackedUpDisk = z.infer<typeof BackedUpDisk>;

export const FailedDisk = NightlyDisk.extend({ error: z.string(), workflowId: z.string() });
export type FailedDisk = z.infer<typeof FailedDisk>;

/**
 * Entries each list of the summary holds at most: `backedUp` and `failed` keep
 * their first ones, `skipped` its first ones of each code (so a rare reason is
 * never hidden behind thousands of `not-on-ceph`). `counts` and `skippedByCode`
 * count every disk; each disk's detail is in its child workflow's history.
 */
export const SUMMARY_LIST_MAX = 50;
/** A failure's message in the summary is cut here; the child's history has it whole. */
export const SUMMARY_ERROR_MAX = 500;

export const NightlySummary = z.object({
  host: z.string(),
  workload: Workload,
  dryRun: z.boolean(),
  /** Set for a takeover of a lost host's disks (lib/operations/takeover.ts). */
  takeover: TakeoverReport.optional(),
  /** Set when the host never answered: why, and that nothing was planned or done. */
  unreachable: z.string().optional(),
  inventory: z.object({ driver: z.string(), disks: z.number(), takenAt: z.string() }),
  counts: z.object({ planned: z.number(), full: z.number(), incremental: z.number(), skipped: z.number(), failed: z.number() }),
  skippedByCode: z.partialRecord(SkipCode, z.number()),
  bytesRead: z.number(),
  bytesWritten: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationSeconds: z.number().optional(),
  /** Runs this night took (1 + continue-as-new count). */
  runs: z.number(),
  /** Storage waited for before starting (a purge of the same store). */
  waitedFor: z.array(z.string()),
  /** The first SUMMARY_LIST_MAX; counts.full + counts.incremental is the total. */
  backedUp: z.array(BackedUpDisk),
  /** The first SUMMARY_LIST_MAX of each code; counts.skipped and skippedByCode are the totals. */
  skipped: z.array(SkippedDisk),
  /** The first SUMMARY_LIST_MAX; counts.failed is the total. */
  failed: z.array(FailedDisk),
});
export type NightlySummary = z.infer<typeof NightlySummary>;

/**
 * What one run hands the next when the workflow continues as new: never the
 * queue itself (that stays in the host's plan file, see activities/night-plan.ts),
 * only where it is and how far the night got, and the bounded summary.
 */
export const NightlyCarry = z.strictObject({
  /** The night's plan file on the host (planNight's `plan`). */
  plan: z.string(),
  /** Disks of the plan's queue already started by earlier runs. */
  offset: z.int().min(0),
  summary: NightlySummary,
  liveForDays: z.number(),
  pool: z.string(),
  concurrency: z.int().min(1),
});
export type NightlyCarry = z.infer<typeof NightlyCarry>;

export const NightlyInput = z.strictObject({
  host: HostName,
  workload: Workload.default('vms'),
  /** Plan and report, back up nothing. */
  dryRun: z.boolean().default(false),
  /**
   * Children one run starts before it continues as new. Each child adds about
   * eight events; 200 keeps a run's history near 2,000 events whatever the fleet size.
   */
  childrenPerRun: z.int().min(1).max(2000).default(200),
  /**
   * Seconds the night's first step may wait for a worker of the host before the
   * night ends as "host unreachable" (an hour: the host's slots may be busy with
   * another workload's copies; tests make it short).
   */
  hostAnswerSeconds: z.int().min(1).max(86_400).default(3600),
  /** Only the disks assigned here with no valid version here yet, and the lost host's snapshots on them go after. */
  takeover: TakeoverInput.optional(),
  /** Set by the workflow itself when it continues as new; never by a caller. */
  carry: NightlyCarry.optional(),
}).refine((i) => i.dryRun || i.takeover === undefined || i.takeover.confirmedPlan !== undefined, {
  message: 'a takeover that backs up needs takeover.confirmedPlan (the dry run’s planDigest)',
  path: ['takeover', 'confirmedPlan'],
});
export type NightlyInput = z.input<typeof NightlyInput>;

/** A backed-up disk: counted, and listed while the list has room. */
export function recordBackedUp(s: NightlySummary, disk: BackedUpDisk): void {
  s.counts[disk.kind] += 1;
  s.bytesRead += disk.bytesRead;
  s.bytesWritten += disk.bytesWritten;
  if (s.backedUp.length < SUMMARY_LIST_MAX) s.backedUp.push(disk);
}

/** A skipped disk: counted by its code, and listed while its code has room. */
export function recordSkipped(s: { counts: { skipped: number }; skippedByCode: NightlySummary['skippedByCode']; skipped: SkippedDisk[] }, disk: SkippedDisk): void {
  s.counts.skipped += 1;
  const n = (s.skippedByCode[disk.code] ?? 0) + 1;
  s.skippedByCode[disk.code] = n;
  if (n <= SUMMARY_LIST_MAX) s.skipped.push(disk);
}

/** A failed disk: counted, and listed (its error cut short) while the list has room. */
export function recordFailed(s: NightlySummary, disk: FailedDisk): void {
  s.counts.failed += 1;
  const error = disk.error.length > SUMMARY_ERROR_MAX ? `${disk.error.slice(0, SUMMARY_ERROR_MAX)}… (whole in ${disk.workflowId})` : disk.error;
  if (s.failed.length < SUMMARY_LIST_MAX) s.failed.push({ ...disk, error });
}

/** How many of each list the summary leaves out. */
export function unlisted(s: NightlySummary): { backedUp: number; skipped: number; failed: number } {
  return { backedUp: s.counts.full + s.counts.incremental - s.backedUp.length, skipped: s.counts.skipped - s.skipped.length, failed: s.counts.failed - s.failed.length };
}

export interface NightlyProgress {
  planned: number;
  done: number;
  running: string[];
  failed: number;
  skipped: number;
  run: number;
}

/** The memo: counts only, so the Web UI's list stays light. */
export function summaryMemo(s: NightlySummary): Record<string, unknown> {
  return { counts: s.counts, skippedByCode: s.skippedByCode, bytesRead: s.bytesRead, bytesWritten: s.bytesWritten, durationSeconds: s.durationSeconds };
}
