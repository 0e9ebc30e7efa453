// Input and result of `restoreProject`: every VM of a project rolled back to
// its newest valid version at or before a date, one child restore per VM.
import { z } from 'zod';
import { HostName, PoolName } from '../naming.ts';

export const RestoreProjectInput = z.strictObject({
  project: z.string().min(1).max(255),
  pool: PoolName,
  /** Backup hosts whose stores are searched for versions (those with a running worker). */
  hosts: z.array(HostName).min(1),
  /** ISO time: the newest valid version made at or before it; the newest of all when omitted. */
  at: z.iso.datetime().optional(),
  concurrency: z.int().min(1).max(32).default(2),
  waitSeconds: z.int().min(1).default(300),
  dryRun: z.boolean().default(false),
});
export type RestoreProjectInput = z.input<typeof RestoreProjectInput>;

export interface ProjectRestoreItem {
  vmId: string;
  name: string;
  host?: string;
  versionUid?: string;
  versionDate?: string;
}

export interface RestoreProjectResult {
  project: string;
  dryRun: boolean;
  /** Every VM of the project and the version chosen for it. */
  planned: ProjectRestoreItem[];
  restored: ProjectRestoreItem[];
  failed: Array<ProjectRestoreItem & { error: string }>;
}

/** The newest valid version made at or before `at` (versions in any order). */
export function pickVersion<V extends { valid: boolean; date: string }>(versions: readonly V[], at?: string): V | undefined {
  const limit = at === undefined ? Infinity : Date.parse(at);
  return versions
    .filter((v) => v.valid && Date.parse(v.date) <= limit)
    .sort((a, b) => b.date.localeCompare(a.date))[0];
}
