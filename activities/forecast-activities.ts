// The host's part of `vmbackup plan`: tonight's disks by the given policy, each
// one's size and recent changed bytes from this store's stats, summed per
// project here so a cloud of thousands of disks sends back one row per project.
// Reads only: the inventory is recorded nowhere, the store and Ceph only listed.
import { KIND_TAGS } from '../lib/backup-tags.ts';
import type { LoadedConfig } from '../lib/config/load.ts';
import { diskHistories, projectWork, readRate } from '../lib/forecast/disk-work.ts';
import { planNightly } from '../lib/fleet/plan.ts';
import type { ForecastNightInput, NightForecastFacts } from '../lib/operations/forecast.ts';
import { workloadPool } from './inventory/create.ts';
import type { InventoryDriver } from './inventory/inventory-driver.ts';
import { readInventory } from './inventory-activities.ts';
import type { HostDeps } from './host-deps.ts';
import { withHeartbeat } from './heartbeat.ts';

export interface ForecastDeps extends Pick<HostDeps, 'rbd' | 'host' | 'engine'> {
  inventory: InventoryDriver;
  config: LoadedConfig;
}

export function createForecastActivities(deps: ForecastDeps) {
  return {
    async forecastNight(input: ForecastNightInput): Promise<NightForecastFacts> {
      const { workload } = input;
      const pool = workloadPool(deps.config, workload);
      const since = new Date(Date.now() - input.historyDays * 86_400_000).toISOString();
      // A cloud's inventory and a big store take a while to list: heartbeat meanwhile.
      const [inventory, versions, stats, sizes] = await withHeartbeat({ step: 'forecast' }, () =>
        Promise.all([readInventory(deps, workload), deps.engine.listVersions(), deps.engine.statsSince(since), deps.rbd.listImageSizes(pool)]),
      );
      const policy = {
        host: deps.host.name,
        workload,
        pool,
        liveForDays: 0,
        concurrency: deps.host.concurrency,
        assignments: input.assignments,
        exclusions: input.exclusions,
      };
      const tonight = planNightly(inventory.disks, policy).backup;
      const valid = new Set(versions.filter((v) => v.valid).map((v) => v.name));
      // A full copy reads only the allocated extents, so its bytes cannot tell it from a big night's changes: its tag does.
      const tags = new Map(versions.map((v) => [v.uid, v.tags]));
      const kinds = stats.map((s) => ({ ...s, full: tags.get(s.uid)?.includes(KIND_TAGS.full) }));
      const projects = projectWork(tonight, diskHistories(kinds), valid, sizes);
      return {
        host: deps.host.name,
        workload,
        inventory: { driver: inventory.driver, disks: inventory.disks.length, takenAt: inventory.takenAt },
        planned: tonight.length,
        full: tonight.filter((d) => !valid.has(d.image)).length,
        readBytesPerSecond: readRate(stats, since),
        statsRead: stats.length,
        projects,
      };
    },
  };
}
export type ForecastActivities = ReturnType<typeof createForecastActivities>;
