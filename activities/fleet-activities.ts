// What the nightly workflow asks of a host before and around its children:
// the policy from this host's config, the restores under way, and whether a
// disk that vanished mid-run was deleted (a skip) or is missing (a failure).
import type { Client } from '@temporalio/client';
import type { LoadedConfig } from '../lib/config/load.ts';
import { type FleetPolicy, fleetPolicyOf } from '../lib/fleet/plan.ts';
import type { Workload } from '../lib/naming.ts';
import { runningDiskOperations } from './running-backups.ts';

export interface FleetDeps {
  config: LoadedConfig;
  hostName: string;
  temporal: Client;
  inventory: { list(workload: Workload): Promise<Array<{ id: string }>> };
}

export function createFleetActivities(deps: FleetDeps) {
  return {
    /** The part of this host's config the nightly decision needs; read when the night starts. */
    async fleetPolicy(input: { workload: Workload }): Promise<FleetPolicy> {
      return fleetPolicyOf(deps.config, deps.hostName, input.workload);
    },

    /** Disk id → workflow id of every restore running now. */
    async runningRestores(): Promise<Record<string, string>> {
      return Object.fromEntries((await runningDiskOperations(deps.temporal, 'restore')).map((r) => [r.vmId, r.workflowId]));
    },

    /** Whether the inventory still lists `id`: a disk gone from Ceph but still listed is a failure, not a deletion. */
    async stillListed(input: { workload: Workload; id: string }): Promise<boolean> {
      return (await deps.inventory.list(input.workload)).some((d) => d.id === input.id);
    },
  };
}
export type FleetActivities = ReturnType<typeof createFleetActivities>;
