// Inputs and summaries of the two workflows that check what a host has stored:
// `verifyBackups` (a rolling scrub plus a deep check against the source) and
// `restoreDrill` (restore a sample to scratch images and check them). Each
// summary is the workflow's result and memo, bounded like the nightly one:
// counts of everything, the first SUMMARY_LIST_MAX failures.
import { z } from 'zod';
import { HostName, ImageName, PoolName } from '../naming.ts';
import { SUMMARY_ERROR_MAX, SUMMARY_LIST_MAX } from './nightly.ts';

/** One version a check found bad, and what became of it. */
export const FailedCheck = z.object({
  image: z.string(),
  uid: z.string(),
  /** What was wrong, e.g. "block 3: checksum mismatch (read twice)". */
  reason: z.string(),
  /**
   * `marked-invalid`: both reads agreed and backy2 marked it (and every version
   * sharing the bad block) invalid; `transient`: the second read disagreed, the
   * version stays valid; `differs-from-source`: stored blocks are sound but do
   * not match the snapshot they were made from (backy2 2.9 cannot mark those).
   */
  state: z.enum(['marked-invalid', 'transient', 'differs-from-source', 'restore-failed']),
  /** Other versions backy2 marked invalid with it (they share the bad block): the first SUMMARY_LIST_MAX. */
  alsoInvalid: z.array(z.string()).default([]),
  /** How many there were in all (a blob can be shared by thousands of versions across disks). */
  alsoInvalidCount: z.number().default(0),
});
export type FailedCheck = z.infer<typeof FailedCheck>;

export const CheckCounts = z.object({
  /** Versions read and compared. */
  checked: z.number(),
  ok: z.number(),
  failed: z.number(),
  /** Versions backy2 now marks invalid because of this run (failed ones and those sharing their bad blocks). */
  markedInvalid: z.number(),
});

export const VerifySummary = z.object({
  host: z.string(),
  workflowId: z.string(),
  /** Valid versions in the store, and how many this run was to scrub (its share). */
  versions: z.number(),
  planned: z.number(),
  scrub: CheckCounts,
  /** Stored bytes read by the scrub (blocks shared between versions of one batch are read once). */
  bytes: z.number(),
  deep: CheckCounts.extend({ skipped: z.number(), bytes: z.number() }),
  /** The first SUMMARY_LIST_MAX; scrub.failed + deep.failed is the total. */
  failed: z.array(FailedCheck),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationSeconds: z.number().optional(),
  runs: z.number(),
});
export type VerifySummary = z.infer<typeof VerifySummary>;

export const VerifyCarry = z.strictObject({
  /** The run's plan file on the host. */
  plan: z.string(),
  offset: z.int().min(0),
  summary: VerifySummary,
});

export const VerifyBackupsInput = z.strictObject({
  host: HostName,
  /** Every valid version is scrubbed at least once within this many runs. */
  scrubEveryNights: z.int().min(1).max(365).default(7),
  /** Disks whose newest version is compared with its snapshot. */
  deepSample: z.int().min(0).max(1000).default(2),
  /** Only these disks' versions (a manual check of a few disks, a test); all when omitted. */
  images: z.array(ImageName).max(100).optional(),
  /** Versions per verifyBatch call: about a minute of reading on a typical store. */
  batchVersions: z.int().min(1).max(500).default(20),
  /** Batches one run does before it continues as new. */
  batchesPerRun: z.int().min(1).max(500).default(100),
  carry: VerifyCarry.optional(),
});
export type VerifyBackupsInput = z.input<typeof VerifyBackupsInput>;

export const DrillResult = z.object({
  image: z.string(),
  uid: z.string(),
  scratch: z.string(),
  ok: z.boolean(),
  bytes: z.number(),
});
export type DrillResult = z.infer<typeof DrillResult>;

export const DrillSummary = z.object({
  host: z.string(),
  workflowId: z.string(),
  scratchPool: z.string(),
  counts: CheckCounts,
  bytes: z.number(),
  /** Every drilled version (at most the sample size, so bounded). */
  drilled: z.array(DrillResult),
  failed: z.array(FailedCheck),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationSeconds: z.number().optional(),
});
export type DrillSummary = z.infer<typeof DrillSummary>;

export const RestoreDrillInput = z.strictObject({
  host: HostName,
  sample: z.int().min(1).max(100).default(2),
  /** Pool of the scratch images; never a disk's own name (see lib/verify/scratch.ts). */
  scratchPool: PoolName,
  /** Only these disks (a test, a manual drill of one disk); all when omitted. */
  images: z.array(ImageName).max(100).optional(),
});
export type RestoreDrillInput = z.input<typeof RestoreDrillInput>;

/** Where the failures a summary does not list are. */
export const SUMMARY_FAILED_NOTE = "each is in the history of";

/** A failed check: counted by the caller, listed (its reason cut short) while the list has room. */
export function listFailure(list: FailedCheck[], failure: FailedCheck): void {
  const reason = failure.reason.length > SUMMARY_ERROR_MAX ? `${failure.reason.slice(0, SUMMARY_ERROR_MAX)}…` : failure.reason;
  if (list.length < SUMMARY_LIST_MAX) list.push({ ...failure, reason, alsoInvalid: failure.alsoInvalid.slice(0, SUMMARY_LIST_MAX) });
}

/** Versions a failure made invalid: itself and every one sharing its bad block. */
export const invalidated = (f: FailedCheck) => (f.state === 'marked-invalid' ? 1 + f.alsoInvalidCount : 0);

export const emptyCounts = () => ({ checked: 0, ok: 0, failed: 0, markedInvalid: 0 });

/** The memo: counts only, so the Web UI's list stays light. */
export function verifyMemo(s: VerifySummary): Record<string, unknown> {
  return { versions: s.versions, planned: s.planned, scrub: s.scrub, deep: s.deep, bytes: s.bytes, durationSeconds: s.durationSeconds };
}
