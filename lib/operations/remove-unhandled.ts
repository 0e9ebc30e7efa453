// Input and result of the `removeUnhandled` workflow (`vmbackup remove-unhandled`):
// the backups in one host's store of disks that host no longer handles (the
// rules are in lib/fleet/unhandled.ts).
import { z } from 'zod';
import type { KeptDisk, UnhandledDisk } from '../fleet/unhandled.ts';
import type { Workload } from '../naming.ts';
import { HostName, ImageName } from '../naming.ts';
import { PlanDigest } from '../plan-digest.ts';

export const RemoveUnhandledInput = z
  .strictObject({
    host: HostName,
    /** Plan and report, remove nothing. */
    dryRun: z.boolean(),
    /** Only this disk (version name, e.g. `<vm>_disk`). */
    disk: ImageName.optional(),
    /** The disk's last valid version may go too (a moved or ignored project's disk keeps it otherwise); needs `disk`. */
    includeLast: z.boolean().default(false),
    /** The digest of the plan the operator confirmed (a dry run's `planDigest`); required to remove anything. */
    confirmedPlan: PlanDigest.optional(),
  })
  .refine((i) => !i.includeLast || i.disk !== undefined, { message: 'includeLast needs disk: the operator names the disk whose last valid version goes', path: ['includeLast'] })
  .refine((i) => i.dryRun || i.confirmedPlan !== undefined, { message: 'a run that removes needs confirmedPlan (the dry run’s planDigest)', path: ['confirmedPlan'] });
export type RemoveUnhandledInput = z.input<typeof RemoveUnhandledInput>;

/** What the plan was made from, for the operator to judge it by. */
export interface UnhandledPlanBasis {
  /** Versions in the store when planned. */
  versions: number;
  driver: string;
  /** Disks each workload's inventory listed; `last`: the host's previous inventory, and how many of its disks are gone since. */
  inventory: Array<{ workload: Workload; disks: number; last?: { takenAt: string; disks: number; gone: number } }>;
}

export interface RemoveUnhandledResult extends UnhandledPlanBasis {
  host: string;
  dryRun: boolean;
  /** Digest of the versions it removes (or would), for `--yes --plan` (lib/plan-digest.ts). */
  planDigest: string;
  /** `removed`: uids this run removed (or found gone); empty in a dry run. `skipped`: protected since the plan. */
  disks: Array<UnhandledDisk & { removed: string[]; skipped: string[] }>;
  kept: KeptDisk[];
  startedAt: string;
  finishedAt: string;
}
