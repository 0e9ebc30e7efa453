// Input and result of the `backupInstance` workflow: the contract between the
// CLI (or a schedule), the workflow and the operators reading its history.
import { z } from 'zod';
import { HostName, ImageName, PoolName, VersionUid, VmId, Workload } from '../naming.ts';

export const BackupInstanceInput = z.strictObject({
  vmId: VmId,
  pool: PoolName,
  host: HostName,
  project: z.string().max(255).optional(),
  workload: Workload.default('vms'),
  /** The RBD image; `<vmId>_disk` when omitted (a VM's root disk). */
  image: ImageName.optional(),
  /** Lifespan recorded with the backup. */
  liveForDays: z.int().min(1).default(8),
  /** Inspect and report the plan, change nothing. */
  dryRun: z.boolean().default(false),
});
export type BackupInstanceInput = z.input<typeof BackupInstanceInput>;

export const BackupKind = z.enum(['full', 'incremental']);
export type BackupKind = z.infer<typeof BackupKind>;

export const BackupPlan = z.object({
  image: z.string(),
  snapshot: z.string(),
  kind: BackupKind,
  /** Why this kind: e.g. "no earlier snapshot of backup1 on the image". */
  reason: z.string(),
  baseSnapshot: z.string().optional(),
  baseUid: VersionUid.optional(),
  /** Known up front only in a dry run; otherwise from the version made. */
  sizeBytes: z.number().optional(),
  /** This host's snapshots on the image that the run will remove. */
  snapshotsToRemove: z.array(z.string()),
});
export type BackupPlan = z.infer<typeof BackupPlan>;

export const BackupResult = z.object({
  vmId: z.string(),
  host: z.string(),
  dryRun: z.boolean(),
  plan: BackupPlan,
  versionUid: VersionUid.optional(),
  tags: z.array(z.string()),
  /** Bytes of the disk the hints marked as changed (the whole disk for a full backup). */
  hintedBytes: z.number(),
  bytesRead: z.number().optional(),
  bytesWritten: z.number().optional(),
  removedSnapshots: z.array(z.string()),
  /** Whether the VM's metadata (for a rescue) was recorded with this backup. */
  serverRecorded: z.boolean().optional(),
  expiresAt: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type BackupResult = z.infer<typeof BackupResult>;

export type StepProgress = { step: string; detail?: string };
