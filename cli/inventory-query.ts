// The inventory as a backup host's worker takes it (workflow listInventory),
// narrowed on the host to one project or one id-or-name: the CLI needs no
// OpenStack credentials, and the answer is as small as the question.
import { VmbackupError } from '../lib/errors.ts';
import type { InventorySnapshot } from '../lib/fleet/inventory.ts';
import type { ListInventoryInput } from '../lib/operations/where.ts';
import { BackupHost, Operation, Project } from '../lib/search-attributes.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { hostsWithWorkers } from '../lib/temporal/pollers.ts';
import type { listInventory } from '../workflows/list-inventory.ts';
import type { CliContext } from './context.ts';
import { lookupId } from './workflow-id.ts';

/** No backup host has a worker polling: nobody can take the inventory. */
export class NoInventoryHostError extends VmbackupError {}

/** `preferred` (the assigned host) is asked when it has a worker; any live host will do, all see the same inventory. */
export async function queryInventory(ctx: CliContext, input: ListInventoryInput, preferred?: string): Promise<InventorySnapshot> {
  const client = await ctx.temporal();
  const hosts = ctx.config.hosts.map((h) => h.name);
  const live = await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, hosts);
  const host = preferred !== undefined && live.has(preferred) ? preferred : hosts.find((h) => live.has(h));
  if (host === undefined) throw new NoInventoryHostError('no backup host has a running worker: nobody can take the inventory', 'Start the workers first (scripts/workers.sh start on the local stack).');
  // No VmId attribute: a look-up is no operation on the disk, and must not crowd its list in the Web UI.
  return client.workflow.execute<typeof listInventory>('listInventory', {
    taskQueue: hostTaskQueue(ctx.config.temporal.task_queue, host),
    workflowId: input.project !== undefined ? lookupId('where', input.project) : lookupId('lookup', input.workload),
    args: [input],
    typedSearchAttributes: [
      { key: Operation, value: 'list' },
      ...(input.project !== undefined ? [{ key: Project, value: input.project }] : []),
      { key: BackupHost, value: host },
    ],
  });
}
