// hostListing: one read-only listing of a backup host (`ls --host`,
// `snapshots --vm`, `show-excess`), run on that host's queue so the store read
// is that host's. The activity computes and cuts it; the workflow only carries it.
import { proxyActivities } from '@temporalio/workflow';
import type { ListingActivities } from '../activities/listing-activities.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';
import { HostListingInput as InputSchema, type HostListingInput, type HostListingResult } from '../lib/operations/host-listing.ts';
import { parseInput } from './parse-input.ts';

const { readHostListing } = proxyActivities<ListingActivities>({
  // A metadata read; a host with no worker must not hold the CLI for ever.
  scheduleToCloseTimeout: '5m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

export async function hostListing(raw: HostListingInput): Promise<HostListingResult> {
  return readHostListing(parseInput(InputSchema, raw));
}
