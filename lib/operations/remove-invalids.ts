// Input and result of the `removeInvalids` workflow (`vmbackup remove-invalids`):
// the versions of one host's store that backy2 marks invalid (a backup that
// failed or was killed mid-copy, or blocks a scrub found bad) are removed.
import { z } from 'zod';
import { HostName } from '../naming.ts';
import { PlanDigest } from '../plan-digest.ts';
import { MIN_LEFTOVER_AGE_MS } from './dangling-snapshots.ts';

export const RemoveInvalidsInput = z
  .strictObject({
    host: HostName,
    dryRun: z.boolean().default(false),
    /** The digest of the plan the operator confirmed (a dry run's `planDigest`); required to remove anything. */
    confirmedPlan: PlanDigest.optional(),
  })
  .refine((i) => i.dryRun || i.confirmedPlan !== undefined, { message: 'a run that removes needs confirmedPlan (the dry run’s planDigest)', path: ['confirmedPlan'] });
export type RemoveInvalidsInput = z.input<typeof RemoveInvalidsInput>;

/**
 * `invalid`: may go. `protected`: invalid but protected, kept.
 * `in-use`: a backup of its image runs now (or the version is under
 * MIN_LEFTOVER_AGE_MS old); its version is invalid until the copy ends.
 */
export type InvalidVersionState = 'invalid' | 'protected' | 'in-use';

export interface InvalidVersion {
  uid: string;
  name: string;
  snapshotName: string;
  date: string;
  sizeBytes: number;
  state: InvalidVersionState;
  reason?: string | undefined;
}

export interface RemoveInvalidsResult {
  host: string;
  dryRun: boolean;
  /** Digest of the versions it removes (or would), for `--yes --plan` (lib/plan-digest.ts). */
  planDigest: string;
  /** Every invalid version of the store; `removed` when this run removed it (or found it gone). */
  versions: Array<InvalidVersion & { removed: boolean }>;
}

/** The invalid versions among `versions`; `running` maps an image to the backup running on it. */
export function invalidVersionsOf(
  versions: ReadonlyArray<{ uid: string; name: string; snapshotName: string; date: string; sizeBytes: number; valid: boolean; protected: boolean }>,
  running: ReadonlyMap<string, string>,
  now: Date,
): InvalidVersion[] {
  return versions
    .filter((v) => !v.valid)
    .map((v): InvalidVersion => {
      const at = { uid: v.uid, name: v.name, snapshotName: v.snapshotName, date: v.date, sizeBytes: v.sizeBytes };
      if (v.protected) return { ...at, state: 'protected', reason: 'protected: unprotect it (backy2 unprotect) if it should go' };
      const backup = running.get(v.name);
      if (backup) return { ...at, state: 'in-use', reason: `backup ${backup} of this image is running and may be writing it` };
      if (now.getTime() - Date.parse(v.date) < MIN_LEFTOVER_AGE_MS) return { ...at, state: 'in-use', reason: 'made under 10 minutes ago: its backup may still run' };
      return { ...at, state: 'invalid' };
    });
}
