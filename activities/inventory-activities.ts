// The nightly job's first step: what the inventory says exists, joined with what
// is in the workload's Ceph pool. A server booted from a volume has no `_disk`,
// a volume still being created has no image yet: those come back `onCeph: false`.
// Each inventory taken is also this host's new reference for remove-unhandled.
// The night is planned here too (planNight), next to an inventory of any size.
import { log } from '@temporalio/activity';
import type { LoadedConfig } from '../lib/config/load.ts';
import type { InventorySnapshot } from '../lib/fleet/inventory.ts';
import { fleetPolicyOf, type NightlyDisk } from '../lib/fleet/plan.ts';
import { type Workload, workloadImage } from '../lib/naming.ts';
import { withHeartbeat } from './heartbeat.ts';
import type { HostDeps } from './host-deps.ts';
import { workloadPool } from './inventory/create.ts';
import type { InventoryDriver } from './inventory/inventory-driver.ts';
import { forgetNightPlan, makeNightPlan, type NightPlanHead, readNightQueue, type TakeoverPlanning } from './night-plan.ts';
import type { BackupEngine } from './engine/engine.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { takeoverRefusal } from '../lib/operations/takeover.ts';
import { recordInventory } from './inventory/last-inventory-file.ts';

export interface InventoryDeps extends Pick<HostDeps, 'rbd' | 'host'> {
  /** The host's store, read by a takeover's plan (which disks have a valid version here). */
  engine?: Pick<BackupEngine, 'listVersions'>;
  inventory: InventoryDriver;
  config: LoadedConfig;
  /** Where a warning goes; the activity's logger when omitted (which works only inside an activity). */
  warn?: (message: string) => void;
}

export function createInventoryActivities(deps: InventoryDeps) {
  /** A takeover from `from` by this worker's config: refused while it still assigns projects to `from`; the disks this store holds. */
  async function takeoverPlanning(from: string): Promise<TakeoverPlanning> {
    const host = deps.host.name;
    if (from === host) throw new InvalidInputError(`a takeover from ${from} cannot run on ${from} itself; nothing was started`);
    const refusal = takeoverRefusal(`the config of ${host}'s worker (${deps.config.source})`, deps.config.project_assignments, from);
    if (refusal) throw new InvalidInputError(refusal);
    if (!deps.engine) throw new Error(`${host}: no backup engine to read the store's versions from`);
    const backedUp = new Set((await deps.engine.listVersions()).filter((v) => v.valid).map((v) => v.name));
    return { host, backedUp };
  }

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

  /** Short (one `rbd ls`, one to a few CLI calls): no heartbeat. */
  async function takeInventory(input: { workload: Workload }): Promise<InventorySnapshot> {
    const snapshot = await readInventory(deps, input.workload);
    remember(snapshot);
    return snapshot;
  }

  return {
    takeInventory,

    /**
     * One project's part of the inventory (for `vmbackup where`), or the disks an
     * id-or-name names (a VM argument being resolved): filtered here,
     * so a workflow result holds a project's disks, never a whole cloud's.
     */
    async projectInventory(input: { workload: Workload; project?: string | undefined; match?: string | undefined }): Promise<InventorySnapshot> {
      const inventory = await takeInventory(input);
      let disks = inventory.disks;
      if (input.project !== undefined) disks = disks.filter((d) => d.projectId === input.project);
      // Every disk of that id or name (not matchDisks' id-first pick): the CLI decides, and names the candidates.
      if (input.match !== undefined) disks = disks.filter((d) => d.id === input.match || d.name === input.match);
      return disks === inventory.disks ? inventory : { ...inventory, disks };
    },

    /**
     * The night's decision for every disk, made here (inventory, this host's
     * policy, the restores running): the whole queue stays in a file on the host
     * (activities/night-plan.ts); the night gets counts and the first page.
     */
    async planNight(input: { workload: Workload; night: string; restores: Record<string, string>; pageSize: number; keep: boolean; takeoverFrom?: string }): Promise<NightPlanHead> {
      const policy = fleetPolicyOf(deps.config, deps.host.name, input.workload);
      // Checked before the inventory is taken: it is this worker's config the night follows.
      const takeover = input.takeoverFrom === undefined ? undefined : await takeoverPlanning(input.takeoverFrom);
      // A cloud's whole inventory can take a minute or more to list: heartbeat meanwhile.
      const inventory = await withHeartbeat({ step: 'inventory' }, () => takeInventory({ workload: input.workload }));
      return makeNightPlan(deps.host.state_dir, { ...input, inventory, policy, takeover });
    },

    /** The next page of the night's queue. */
    async nightQueue(input: { night: string; offset: number; limit: number }): Promise<NightlyDisk[]> {
      return readNightQueue(deps.host.state_dir, input);
    },

    /** The night is over: its plan file goes. */
    async forgetNight(input: { night: string }): Promise<void> {
      forgetNightPlan(deps.host.state_dir, input.night);
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;

/** The inventory joined with the pool, recorded nowhere (`vmbackup plan` only reads). */
export async function readInventory(deps: Pick<InventoryDeps, 'config' | 'inventory' | 'rbd'>, workload: Workload): Promise<InventorySnapshot> {
  const pool = workloadPool(deps.config, workload);
  const [entries, images] = await Promise.all([deps.inventory.list(workload), deps.rbd.listImages(pool)]);
  const inPool = new Set(images);
  return {
    workload,
    pool,
    driver: deps.inventory.kind,
    disks: entries.map((entry) => {
      const image = workloadImage(workload, entry.id);
      return { ...entry, image, onCeph: inPool.has(image) };
    }),
    takenAt: new Date().toISOString(),
  };
}
