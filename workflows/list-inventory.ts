// listInventory: one workload's inventory, taken by a backup host's worker
// (which has the inventory driver and its credentials), for `vmbackup where`
// and the resolution of a VM named by name.
// Started on that host's queue; only the asked project's (or name's) disks are returned,
// picked on the host.
import { proxyActivities } from '@temporalio/workflow';
import type { InventoryActivities } from '../activities/inventory-activities.ts';
import type { InventorySnapshot } from '../lib/fleet/inventory.ts';
import { ListInventoryInput as InputSchema, type ListInventoryInput } from '../lib/operations/where.ts';
import { parseInput } from './parse-input.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';

const { projectInventory } = proxyActivities<InventoryActivities>({
  startToCloseTimeout: '10m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

export async function listInventory(raw: ListInventoryInput): Promise<InventorySnapshot> {
  const input = parseInput(InputSchema, raw);
  // Filtered on the host: a cloud's whole inventory would cross Temporal's payload limit.
  // `match` rides along in the same activity call: no new command, so older histories replay unchanged.
  return projectInventory({ workload: input.workload, project: input.project, match: input.match });
}
