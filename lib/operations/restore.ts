// Input and result of the `restoreInstance` workflow (an in-place rollback of
// one VM disk to a backup version).
import { z } from 'zod';
import { HostName, ImageName, PoolName, VersionUid, VmId } from '../naming.ts';
import { IfBusy } from './disk-lock.ts';

export const RestoreInstanceInput = z.strictObject({
  vmId: VmId,
  pool: PoolName,
  /** The disk image to roll back: `<vm>_disk` for a VM. */
  image: ImageName,
  /** The backup host whose store holds the version; the workflow runs on its queue. */
  host: HostName,
  versionUid: VersionUid,
  /** Stop and start the VM through the compute driver; false when it has none (disk only). */
  manageServer: z.boolean().default(true),
  /** Seconds to wait for the VM to stop or start. */
  waitSeconds: z.int().min(1).default(300),
  /** The disk the version was made of, when it is not `image` (a rescue restores the old VM's disk into the new VM's). */
  versionOf: ImageName.optional(),
  /** A Glance image: recreate and protect the snapshot `snap` Glance reads. */
  glanceSnapshot: z.boolean().default(false),
  /** Another operation holds the disk (a backup, say): fail at once, or wait until it is done. */
  ifBusy: IfBusy.default('refuse'),
  dryRun: z.boolean().default(false),
});
export type RestoreInstanceInput = z.input<typeof RestoreInstanceInput>;

export const RestoreStep = z.enum(['check', 'lock', 'stop', 'watchers', 'move-aside', 'restore', 'start', 'done', 'compensate']);

export const RestoreResult = z.object({
  vmId: z.string(),
  image: z.string(),
  host: z.string(),
  versionUid: z.string(),
  versionDate: z.string(),
  snapshotName: z.string(),
  sizeBytes: z.number(),
  dryRun: z.boolean(),
  /** What the run did or, in a dry run, would do, in order. */
  plan: z.array(z.string()),
  /** The image the restore replaced, renamed and kept for `keep_aside_days`. */
  asideImage: z.string().optional(),
  serverStopped: z.boolean(),
  serverStarted: z.boolean(),
  /** The VM's name and project from the compute driver (none without one): the dry run tells the CLI, which names the VM in the real run's summary. */
  server: z.object({ name: z.string(), projectId: z.string() }).optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type RestoreResult = z.infer<typeof RestoreResult>;

/**
 * `rbd image-meta` keys on an aside image: the workflow id of the restore that
 * moved it aside, and the time that restore completed. purge-aside removes only
 * images with the second; one without it belongs to a restore that did not
 * complete and stays until the operator puts it back or names it.
 */
export const ASIDE_META = {
  restore: 'vmbackup.restore',
  completed: 'vmbackup.restore-completed',
  /** Set by `vmbackup aside put-back` on the image it moved out of the way. */
  putBack: 'vmbackup.put-back',
} as const;
