// The `local` inventory: the disks really in the workload's Ceph pool, named
// and assigned to projects by the YAML file (lib/fleet/local-inventory-file.ts).
import { loadLocalInventoryFile } from '../../lib/fleet/local-inventory-file.ts';
import { diskIdFromImage, type Workload } from '../../lib/naming.ts';
import type { InventoryDriver, InventoryEntry } from './inventory-driver.ts';

export class LocalInventory implements InventoryDriver {
  readonly kind = 'local' as const;

  /**
   * @param file the YAML file; undefined: no names or projects for any disk
   * @param listPool the images of the workload's pool (`rbd ls`)
   */
  constructor(
    private readonly file: string | undefined,
    private readonly listPool: (workload: Workload) => Promise<string[]>,
  ) {}

  async list(workload: Workload): Promise<InventoryEntry[]> {
    // Read on every call, so an edit counts from the next night on without a worker restart.
    const known = this.file === undefined ? undefined : loadLocalInventoryFile(this.file)[workload];
    const entries: InventoryEntry[] = [];
    for (const image of await this.listPool(workload)) {
      const id = diskIdFromImage(workload, image);
      if (id === undefined) continue;
      const disk = known?.[id];
      entries.push({ id, name: disk?.name ?? '', projectId: disk?.project, status: disk?.status });
    }
    return entries;
  }
}
