// The nightly job's first step: what the inventory says exists, joined with what
// is in the workload's Ceph pool. A server booted from a volume has no `_disk`,
// a volume still being created has no image yet: those come back `onCeph: false`.
// Each inventory taken is also this host's new reference for remove-unhandled.
import { log } from '@temporalio/activity';
import type { LoadedConfig } from '../lib/config/load.ts';
import type { InventorySnapshot } from '../lib/fleet/inventory.ts';
import { type Workload, workloadImage } from '../lib/naming.ts';
import type { HostDeps } from './host-deps.ts';
import { workloadPool } from './inventory/create.ts';
import type { InventoryDriver } from './inventory/inventory-driver.ts';
import { recordInventory } from './inventory/last-inventory-file.ts';

export interface InventoryDeps extends Pick<HostDeps, 'rbd' | 'host'> {
  inventory: InventoryDriver;
  config: LoadedConfig;
  /** Where a warning goes; the activity's logger when omitted (which works only inside an activity). */
  warn?: (message: string) => void;
}

export function createInventoryActivities(deps: InventoryDeps) {
  /**
   * Records the inventory as the host's reference. A sharp shrink is not
   * recorded (remove-unhandled refuses it until an operator accepts it); the
   * night goes on with it, since backing up fewer disks removes nothing.
   * Best effort: a night never fails for its reference.
   */
  function remember(snapshot: InventorySnapshot): void {
    const maxShare = deps.config.inventory.max_vanished_share;
    const warn = deps.warn ?? ((message: string) => log.warn(message));
    try {
      const { shrink, recorded } = recordInventory(deps.host.state_dir, { ...snapshot, ids: snapshot.disks.map((d) => d.id) }, maxShare);
      if (!recorded && shrink) {
        warn(`${snapshot.workload} inventory: ${shrink.vanished} of the ${shrink.before} disks of the inventory of ${shrink.since} are gone, more than inventory.max_vanished_share; kept the older one as the reference`);
      }
    } catch (err) {
      warn(`${snapshot.workload} inventory: not recorded as the reference: ${String(err)}`);
    }
  }

  return {
    /** Short (one `rbd ls`, one to a few CLI calls): no heartbeat. */
    async takeInventory(input: { workload: Workload }): Promise<InventorySnapshot> {
      const pool = workloadPool(deps.config, input.workload);
      const [entries, images] = await Promise.all([deps.inventory.list(input.workload), deps.rbd.listImages(pool)]);
      const inPool = new Set(images);
      const snapshot: InventorySnapshot = {
        workload: input.workload,
        pool,
        driver: deps.inventory.kind,
        disks: entries.map((entry) => {
          const image = workloadImage(input.workload, entry.id);
          return { ...entry, image, onCeph: inPool.has(image) };
        }),
        takenAt: new Date().toISOString(),
      };
      remember(snapshot);
      return snapshot;
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
