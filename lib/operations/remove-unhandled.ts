// Input and result of the `removeUnhandled` workflow (`vmbackup remove-unhandled`):
// the backups in one host's store of disks that host no longer handles (the
// rules are in lib/fleet/unhandled.ts).
import { z } from 'zod';
import type { KeptDisk, UnhandledDisk } from '../fleet/unhandled.ts';
import type { Workload } from '../naming.ts';
import { HostName } from '../naming.ts';

export const RemoveUnhandledInput = z.strictObject({
  host: HostName,
  /** Plan and report, remove nothing. */
  dryRun: z.boolean(),
});
export type RemoveUnhandledInput = z.input<typeof RemoveUnhandledInput>;

/** What the plan was made from, for the operator to judge it by. */
export interface UnhandledPlanBasis {
  /** Versions in the store when planned. */
  versions: number;
  driver: string;
  /** Disks each workload's inventory listed. */
  inventory: Array<{ workload: Workload; disks: number }>;
}

export interface RemoveUnhandledResult extends UnhandledPlanBasis {
  host: string;
  dryRun: boolean;
  /** `removed`: uids this run removed (or found gone); empty in a dry run. `skipped`: protected since the plan. */
  disks: Array<UnhandledDisk & { removed: string[]; skipped: string[] }>;
  kept: KeptDisk[];
  startedAt: string;
  finishedAt: string;
}
