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
});
export type RescueInstanceInput = z.input<typeof RescueInstanceInput>;

export interface RescueResult {
  oldVmId: string;
  newVmId: string;
  name: string;
  projectId: string;
  flavor: string;
  image: string;
  network: string;
  versionUid: string;
  /** What the rescue could not bring back, for the operator to redo by hand. */
  notRestored: string[];
}
