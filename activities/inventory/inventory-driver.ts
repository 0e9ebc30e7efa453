// Where the nightly job learns which VMs, volumes and images exist, with their
// names, projects and states: OpenStack itself, or (on a cloud without one, and
// on the local stack) the disks in the Ceph pools and a YAML file beside them.
import type { Workload } from '../../lib/naming.ts';

export interface InventoryEntry {
  /** Server, volume or image id: the part of the RBD image name that names it. */
  id: string;
  /** '' when the inventory knows no name. */
  name: string;
  projectId?: string | undefined;
  /** Nova, Cinder or Glance status (BUILD, backing-up, active, …), when known. */
  status?: string | undefined;
}

export interface InventoryDriver {
  readonly kind: 'local' | 'openstack';
  list(workload: Workload): Promise<InventoryEntry[]>;
}
