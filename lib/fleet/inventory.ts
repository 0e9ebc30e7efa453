// What the nightly job knows of one disk before it decides: the inventory's
// view (OpenStack, or the local YAML) joined with what is in the Ceph pool.
import { z } from 'zod';
import { Workload } from '../naming.ts';

export const InventoryDisk = z.object({
  /** VM, volume or image id. */
  id: z.string(),
  /** VM, volume or image name ('' when unknown). */
  name: z.string(),
  /** Owning project id; undefined when the inventory knows none. */
  projectId: z.string().optional(),
  /** Nova, Cinder or Glance status (BUILD, backing-up, active, …), when known. */
  status: z.string().optional(),
  /** The RBD image that holds it. */
  image: z.string(),
  /** Whether that image is in the workload's pool. */
  onCeph: z.boolean(),
});
export type InventoryDisk = z.infer<typeof InventoryDisk>;

export const InventorySnapshot = z.object({
  workload: Workload,
  pool: z.string(),
  driver: z.enum(['local', 'openstack']),
  disks: z.array(InventoryDisk),
  takenAt: z.string(),
});
export type InventorySnapshot = z.infer<typeof InventorySnapshot>;
