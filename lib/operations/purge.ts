// Input and result of `purgeExpired`: one backup host's store rid of versions
// past their lifespan (the rules are in lib/purge-policy.ts).
import { z } from 'zod';
import { HostName, type Workload } from '../naming.ts';
import { PlanDigest } from '../plan-digest.ts';
import { KeepRules } from '../keep-policy.ts';
import type { PurgeListing } from '../purge-listing.ts';
import type { KeptSummary, RemovedVersion } from '../purge-policy.ts';

const LiveForDays = z.int().min(1);

export const PurgeExpiredInput = z.strictObject({
  host: HostName,
  /**
   * The time ages and expiries are judged at: an input, so a run is reproducible
   * (and testable). A Schedule cannot pass "now", so it is then the run's start time.
   */
  asOf: z.iso.datetime().optional(),
  minAgeDays: z.int().min(0),
  /** workloads.*.live_for_days, for versions without an `expires_` tag; a workload left out is never judged expired. */
  liveForDays: z.strictObject({ vms: LiveForDays.optional(), volumes: LiveForDays.optional(), images: LiveForDays.optional() }),
  /**
   * workloads.*.keep: a workload listed is judged by its keep rules instead of expiry.
   * Left out when no workload has rules, so such inputs (and Schedules) stay as they were.
   */
  keep: z.strictObject({ vms: KeepRules.optional(), volumes: KeepRules.optional(), images: KeepRules.optional() }).optional(),
  /** Dry run: list only these disks (version names) per disk, instead of every disk up to the listing budget. */
  disks: z.array(z.string().min(1).max(300)).min(1).max(200).optional(),
  /** Plan and report, remove nothing. */
  dryRun: z.boolean().default(false),
  /**
   * The digest of the plan the operator confirmed (the dry run's `planDigest`):
   * the run removes nothing unless it plans exactly that. A Schedule's run has
   * none: the config it was applied from is its standing order.
   */
  confirmedPlan: PlanDigest.optional(),
});
export type PurgeExpiredInput = z.input<typeof PurgeExpiredInput>;

/** The lifespans of the configured workloads (a workload not configured is left out), as purgeExpired takes them. */
export function liveForDaysOf(workloads: Partial<Record<Workload, { live_for_days: number } | undefined>>): PurgeExpiredInput['liveForDays'] {
  return Object.fromEntries(Object.entries(workloads).flatMap(([w, c]) => (c ? [[w, c.live_for_days]] : [])));
}

/** `{ keep }` with the keep rules of the workloads that have them, as purgeExpired takes them; `{}` when none has. */
export function keepRulesOf(workloads: Partial<Record<Workload, { keep?: KeepRules | undefined } | undefined>>): Pick<PurgeExpiredInput, 'keep'> {
  const entries = Object.entries(workloads).flatMap(([w, c]) => (c?.keep ? [[w, c.keep]] : []));
  return entries.length ? { keep: Object.fromEntries(entries) as PurgeExpiredInput['keep'] } : {};
}

/** What the cleanup after the removals did, as far as the engine says. */
export interface StoreCleanup {
  /** Data blobs deleted. */
  blobsRemoved?: number | undefined;
  /** Delete candidates that turned out to be still in use (shared blocks), dropped from the list. */
  stillReferenced?: number | undefined;
}

export interface PurgePlan {
  /** Versions in the store when planned. */
  versions: number;
  remove: RemovedVersion[];
  kept: KeptSummary;
  /** Dry run only: every version per disk with what keeps it or why it goes, bounded. */
  listing?: PurgeListing | undefined;
}

export interface PurgeExpiredResult {
  host: string;
  asOf: string;
  minAgeDays: number;
  dryRun: boolean;
  /** Backups (and nightly runs) on this host's store the purge waited for before it planned. */
  waitedFor: string[];
  waitedSeconds: number;
  versions: number;
  /** Versions removed; in a dry run, those that would be. */
  removed: RemovedVersion[];
  /** Digest of the plan (the versions to remove), for `--yes --plan` (lib/plan-digest.ts). */
  planDigest: string;
  kept: KeptSummary;
  /** Dry run only: every version per disk with what keeps it or why it goes, bounded (lib/purge-listing.ts). */
  listing?: PurgeListing | undefined;
  /** Undefined in a dry run. */
  cleanup?: StoreCleanup | undefined;
  startedAt: string;
  finishedAt: string;
}
