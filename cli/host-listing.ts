// Runs one read-only listing (workflow hostListing) on a backup host's queue.
// A look-up's id (cli/workflow-id.ts): two operators listing the same host at once get two runs.
import type { HostListingInput, HostListingResult } from '../lib/operations/host-listing.ts';
import { BackupHost, Operation } from '../lib/search-attributes.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import type { hostListing } from '../workflows/host-listing.ts';
import type { CliContext } from './context.ts';
import { lookupId } from './workflow-id.ts';

/** The result of `input` on its host, narrowed to the listing asked for. */
export async function listOnHost<K extends HostListingInput['listing']>(
  ctx: CliContext,
  input: Extract<HostListingInput, { listing: K }>,
): Promise<Extract<HostListingResult, { listing: K }>> {
  const client = await ctx.temporal();
  const result = await client.workflow.execute<typeof hostListing>('hostListing', {
    taskQueue: hostTaskQueue(ctx.config.temporal.task_queue, input.host),
    workflowId: lookupId('listing', input.listing, input.host),
    args: [input],
    typedSearchAttributes: [
      { key: Operation, value: 'list' },
      { key: BackupHost, value: input.host },
    ],
  });
  return result as Extract<HostListingResult, { listing: K }>;
}
