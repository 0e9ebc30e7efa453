// Input and result of `rescueInstance`: bring back a VM deleted from OpenStack.
import { z } from 'zod';
import { HostName, PoolName, SnapshotName, VersionUid, VmId } from '../naming.ts';

export const RescueInstanceInput = z.strictObject({
  /** The deleted VM's id: its disk `<vmId>_disk` is what the version holds. */
  vmId: VmId,
  pool: PoolName,
  host: HostName,
  versionUid: VersionUid,
  /** The version's snapshot name: the key of the server metadata recorded with it. */
  snapshotName: SnapshotName,
  /** The network to attach; the first one recorded when omitted. */
  network: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/).optional(),
  waitSeconds: z.int().min(1).default(300),
  /** Check and plan only: nothing is created or restored. */
  dryRun: z.boolean().default(false),
});
export type RescueInstanceInput = z.input<typeof RescueInstanceInput>;

/**
 * Server property (Nova metadata) that marks a server a rescue created: its
 * value is the rescue's workflow id. A retry adopts a server of the name only
 * when it carries this workflow's mark; any other server is never touched.
 */
export const RESCUE_MARK = 'vmbackup_rescue';

export interface RescueResult {
  oldVmId: string;
  /** Undefined in a dry run. */
  newVmId?: string | undefined;
  dryRun: boolean;
  /** What the run did or, in a dry run, would do, in order. */
  plan: string[];
  name: string;
  projectId: string;
  flavor: string;
  image: string;
  network: string;
  versionUid: string;
  /** What the rescue could not bring back, for the operator to redo by hand. */
  notRestored: string[];
}
