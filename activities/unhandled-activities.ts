// The plan of `remove-unhandled` for this host's store: its versions judged
// against the inventory and this worker's assignments. It is made here, next to
// the store, like the purge plan: only the verdicts travel into history.
// Removal itself is the purge's removeVersions (protected ones re-checked there).
import type { Client } from '@temporalio/client';
import type { LoadedConfig } from '../lib/config/load.ts';
import { assertInventoryPlausible, assertNoSharpShrink, diskOfVersion, type InventoryProjects, planUnhandled, type UnhandledPlan, type UnhandledPolicy, workloadsToCheck } from '../lib/fleet/unhandled.ts';
import type { Workload } from '../lib/naming.ts';
import type { UnhandledPlanBasis } from '../lib/operations/remove-unhandled.ts';
import type { HostDeps } from './host-deps.ts';
import type { InventoryDriver } from './inventory/inventory-driver.ts';
import { lastInventoryFile, recordInventory } from './inventory/last-inventory-file.ts';
import { runningBackups } from './running-backups.ts';

export interface UnhandledDeps extends Pick<HostDeps, 'engine' | 'host'> {
  config: LoadedConfig;
  inventory: InventoryDriver;
  temporal: Client;
}

export function createUnhandledActivities(deps: UnhandledDeps) {
  return {
    /**
     * Changes nothing. Any inventory error fails it, and so the whole run, before
     * anything is removed: a disk that could not be looked up is never judged deleted.
     * Each listing is compared with this host's last inventory (refused if it shrank
     * sharply) and then recorded, with when each deleted disk was first seen missing.
     */
    async planUnhandled(input: { includeLast?: string[] } = {}): Promise<UnhandledPlan & UnhandledPlanBasis> {
      const versions = await deps.engine.listVersions();
      const configured = (['vms', 'volumes', 'images'] as const).filter((w) => deps.config.workloads[w] !== undefined);
      const inventories: Partial<Record<Workload, InventoryProjects>> = {};
      const inventory: UnhandledPlanBasis['inventory'] = [];
      const now = new Date().toISOString();
      const grace: Pick<UnhandledPolicy, 'missingSince' | 'graceDays' | 'now'> = { missingSince: {}, graceDays: {}, now };
      for (const workload of workloadsToCheck(versions, configured)) {
        const entries = await deps.inventory.list(workload);
        const ofWorkload = versions.filter((v) => diskOfVersion(v.name, configured)?.workload === workload).length;
        assertInventoryPlausible(workload, entries.length, ofWorkload, deps.inventory.kind);
        const ids = entries.map((e) => e.id);
        const listed = new Set(ids);
        const withoutEntry = versions.map((v) => diskOfVersion(v.name, configured)).flatMap((d) => (d?.workload === workload && !listed.has(d.id) ? [d.id] : []));
        const maxShare = deps.config.inventory.max_vanished_share;
        const { shrink, recorded } = recordInventory(deps.host.state_dir, { workload, driver: deps.inventory.kind, takenAt: now, ids }, maxShare, withoutEntry);
        assertNoSharpShrink(workload, shrink, maxShare, { driver: deps.inventory.kind, host: deps.host.name, file: lastInventoryFile(deps.host.state_dir, workload) });
        grace.missingSince[workload] = recorded?.missingSince;
        grace.graceDays[workload] = deps.config.workloads[workload]?.live_for_days;
        inventories[workload] = new Map(entries.map((e) => [e.id, e.projectId]));
        inventory.push({ workload, disks: entries.length, ...(shrink && { last: { takenAt: shrink.since, disks: shrink.before, gone: shrink.vanished } }) });
      }
      // Read after the versions: a backup that starts later makes a version not judged here.
      const running = await runningBackups(deps.temporal, deps.host.name);
      const plan = planUnhandled(
        versions,
        { host: deps.host.name, assignments: deps.config.project_assignments, inventories, driver: deps.inventory.kind, includeLast: input.includeLast ?? [], ...grace },
        running,
      );
      return { ...plan, versions: versions.length, driver: deps.inventory.kind, inventory };
    },
  };
}

export type UnhandledActivities = ReturnType<typeof createUnhandledActivities>;
