// The nightly job's first step: what the inventory says exists, joined with what
// is in the workload's Ceph pool. A server booted from a volume has no `_disk`,
// a volume still being created has no image yet: those come back `onCeph: false`.
import type { LoadedConfig } from '../lib/config/load.ts';
import type { InventorySnapshot } from '../lib/fleet/inventory.ts';
import { type Workload, workloadImage } from '../lib/naming.ts';
import type { HostDeps } from './host-deps.ts';
import { workloadPool } from './inventory/create.ts';
import type { InventoryDriver } from './inventory/inventory-driver.ts';

export interface InventoryDeps extends Pick<HostDeps, 'rbd'> {
  inventory: InventoryDriver;
  config: LoadedConfig;
}

export function createInventoryActivities(deps: InventoryDeps) {
  return {
    /** Short (one `rbd ls`, one to a few CLI calls): no heartbeat. */
    async takeInventory(input: { workload: Workload }): Promise<InventorySnapshot> {
      const pool = workloadPool(deps.config, input.workload);
      const [entries, images] = await Promise.all([deps.inventory.list(input.workload), deps.rbd.listImages(pool)]);
      const inPool = new Set(images);
      return {
        workload: input.workload,
        pool,
        driver: deps.inventory.kind,
        disks: entries.map((entry) => {
          const image = workloadImage(input.workload, entry.id);
          return { ...entry, image, onCeph: inPool.has(image) };
        }),
        takenAt: new Date().toISOString(),
      };
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
