// Input of the `listInventory` workflow (`vmbackup where`, and every command
// that takes a VM by name): one workload's inventory as a backup host's worker
// sees it, narrowed to one project or to one id-or-name, so the
// CLI needs no OpenStack credentials of its own.
import { z } from 'zod';
import { DiskRef } from '../fleet/resolve-disk.ts';
import { ProjectId, Workload } from '../naming.ts';

export const ListInventoryInput = z.strictObject({
  workload: Workload,
  /** Only this project's disks; all when omitted. */
  project: ProjectId.optional(),
  /** Only the disks with this id or this name (a VM argument being resolved, cli/resolve-disk.ts). */
  match: DiskRef.optional(),
});
export type ListInventoryInput = z.input<typeof ListInventoryInput>;
