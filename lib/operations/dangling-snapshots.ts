// Input and result of the `danglingSnapshots` workflow (`vmbackup snapshots
// dangling|purge`), and the rule that says which snapshots are dangling.
//
// A snapshot is this system's when it carries the suffix of the host that
// made it; it is dangling when that host's store has no valid version made
// from it (a backup that failed or was cancelled after the snapshot, or a
// version removed since). Anyone else's snapshot is never looked at.
import { z } from 'zod';
import { HostName, hasAsideMark, isOwnSnapshot, parseBackupSnapshotName, PoolName, Workload } from '../naming.ts';
import { PlanDigest } from '../plan-digest.ts';

/**
 * Leftovers younger than this are left alone: a backup that has just started may
 * not show in visibility yet (it is eventually consistent), and its snapshot or
 * half-made version must not be taken for a leftover.
 */
export const MIN_LEFTOVER_AGE_MS = 10 * 60_000;

export const DanglingSnapshotsInput = z
  .strictObject({
    host: HostName,
    /** The pools to look in, with the workload each holds (it decides which images are disks). */
    targets: z.array(z.strictObject({ workload: Workload, pool: PoolName })).min(1),
    /** Remove the dangling snapshots; false only reports them. */
    purge: z.boolean().default(false),
    /** The digest of the plan the operator confirmed (a report's `planDigest`); required to remove anything. */
    confirmedPlan: PlanDigest.optional(),
  })
  .refine((i) => !i.purge || i.confirmedPlan !== undefined, { message: 'a purge needs confirmedPlan (the dry run’s planDigest)', path: ['confirmedPlan'] });
export type DanglingSnapshotsInput = z.input<typeof DanglingSnapshotsInput>;

/**
 * `dangling`: no valid version was made from it, and it may go.
 * `protected`: dangling, but protected; never removed (someone protected it on purpose).
 * `in-use`: dangling, but a backup of its image runs right now (or it is under
 * MIN_LEFTOVER_AGE_MS old) and may be making the version.
 */
export type SnapshotState = 'dangling' | 'protected' | 'in-use';

export interface DanglingSnapshot {
  pool: string;
  image: string;
  snapshot: string;
  state: SnapshotState;
  /** Why it is kept, for `protected` and `in-use`. */
  reason?: string | undefined;
}

export interface DanglingSnapshotsResult {
  host: string;
  purge: boolean;
  /** Digest of the snapshots it removes (or would), for `--yes --plan` (lib/plan-digest.ts). */
  planDigest: string;
  /** Every dangling snapshot of this host found, whatever its state; `removed` when this run removed it (or found it gone). */
  snapshots: Array<DanglingSnapshot & { removed: boolean }>;
}

/** What a version needs to say for the rule: the image it is of, the snapshot it was made from, whether it is valid. */
export interface VersionOrigin {
  name: string;
  snapshotName: string;
  valid: boolean;
}

/**
 * This host's snapshots of `image` that no valid version was made from.
 * `runningBackup` is the id of a backup workflow of the image running now, if any.
 */
export function danglingOf(
  disk: { pool: string; image: string },
  snapshots: ReadonlyArray<{ name: string; protected: boolean }>,
  versions: readonly VersionOrigin[],
  host: string,
  runningBackup: string | undefined,
  now: Date,
): DanglingSnapshot[] {
  const made = new Set(versions.filter((v) => v.valid && v.name === disk.image).map((v) => v.snapshotName));
  return snapshots
    .filter((s) => isOwnSnapshot(s.name, host) && !made.has(s.name))
    .map((s): DanglingSnapshot => {
      const at = { pool: disk.pool, image: disk.image, snapshot: s.name };
      if (s.protected) return { ...at, state: 'protected', reason: 'protected: unprotect it by hand if it should go' };
      if (runningBackup) return { ...at, state: 'in-use', reason: `backup ${runningBackup} of this image is running and may be making its version` };
      const takenAt = parseBackupSnapshotName(s.name)!.takenAt;
      if (now.getTime() - takenAt.getTime() < MIN_LEFTOVER_AGE_MS) return { ...at, state: 'in-use', reason: `taken under 10 minutes ago: its backup may be starting` };
      return { ...at, state: 'dangling' };
    });
}

/**
 * Whether an image in a workload's pool is a disk of that workload, as its
 * name tells. Images a restore moved aside are not: they keep the snapshots
 * they had, and purge-aside removes them with their snapshots in due time.
 */
export function isWorkloadDisk(workload: Workload, image: string): boolean {
  if (hasAsideMark(image)) return false;
  return workload === 'vms' ? image.endsWith('_disk') : workload === 'volumes' ? image.startsWith('volume-') : true;
}
