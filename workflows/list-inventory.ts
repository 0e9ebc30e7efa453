// listInventory: one workload's inventory, taken by a backup host's worker
// (which has the inventory driver and its credentials), for `vmbackup where`.
// Started on that host's queue; only the asked project's disks are returned.
import { proxyActivities } from '@temporalio/workflow';
import type { InventoryActivities } from '../activities/inventory-activities.ts';
import type { InventorySnapshot } from '../lib/fleet/inventory.ts';
import { ListInventoryInput as InputSchema, type ListInventoryInput } from '../lib/operations/where.ts';
import { parseInput } from './parse-input.ts';

const { takeInventory } = proxyActivities<InventoryActivities>({
  startToCloseTimeout: '10m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['InvalidInputError', 'ConfigError'] },
});

export async function listInventory(raw: ListInventoryInput): Promise<InventorySnapshot> {
  const input = parseInput(InputSchema, raw);
  const inventory = await takeInventory({ workload: input.workload });
  return input.project === undefined ? inventory : { ...inventory, disks: inventory.disks.filter((d) => d.projectId === input.project) };
}
