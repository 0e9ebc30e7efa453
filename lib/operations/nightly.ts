// Input and summary of the `nightlyBackups` workflow: one host, one workload,
// every disk the inventory lists. The summary is the workflow's result and
// memo; it is what an operator reads the morning after.
import { z } from 'zod';
import { HostName, Workload } from '../naming.ts';
import type { NightlyDisk, SkipCode, SkippedDisk } from '../fleet/plan.ts';

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
  /** Set by the workflow itself when it continues as new; never by a caller. */
  carry: z.unknown().optional(),
});
export type NightlyInput = z.input<typeof NightlyInput>;

export interface BackedUpDisk extends NightlyDisk {
  kind: 'full' | 'incremental';
  versionUid?: string | undefined;
  bytesRead: number;
  bytesWritten: number;
  workflowId: string;
}

export interface FailedDisk extends NightlyDisk {
  error: string;
  workflowId: string;
}

export interface NightlySummary {
  host: string;
  workload: Workload;
  dryRun: boolean;
  /** Set when the host never answered: why, and that nothing was planned or done. */
  unreachable?: string | undefined;
  inventory: { driver: string; disks: number; takenAt: string };
  counts: { planned: number; full: number; incremental: number; skipped: number; failed: number };
  skippedByCode: Partial<Record<SkipCode, number>>;
  bytesRead: number;
  bytesWritten: number;
  startedAt: string;
  finishedAt?: string | undefined;
  durationSeconds?: number | undefined;
  /** Runs this night took (1 + continue-as-new count). */
  runs: number;
  /** Storage waited for before starting (a purge of the same store). */
  waitedFor: string[];
  backedUp: BackedUpDisk[];
  skipped: SkippedDisk[];
  failed: FailedDisk[];
}

/** State handed from one run to the next when the workflow continues as new. */
export interface NightlyCarry {
  queue: NightlyDisk[];
  summary: NightlySummary;
  liveForDays: number;
  pool: string;
  concurrency: number;
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
