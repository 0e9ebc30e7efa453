// Input of the `listInventory` workflow (`vmbackup where`): one workload's
// inventory as a backup host's worker sees it, narrowed to one project, so the
// CLI needs no OpenStack credentials of its own.
import { z } from 'zod';
import { ProjectId, Workload } from '../naming.ts';

export const ListInventoryInput = z.strictObject({
  workload: Workload,
  /** Only this project's disks; all when omitted. */
  project: ProjectId.optional(),
});
export type ListInventoryInput = z.input<typeof ListInventoryInput>;
