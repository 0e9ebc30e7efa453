// purgeAside: removes the images restores moved aside once their restore
// completed and they are older than restore.keep_aside_days, and the ones the
// operator names. Ceph is shared by every host, so any one host's worker does
// it. `now` is an input, so a run is reproducible (and testable).
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AsideActivities, AsidePurgeResult } from '../activities/aside-activities.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { recordOutcome } from './audit.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';

export interface PurgeAsideInput {
  /** Any backup host with a worker: Ceph is the same from all of them. */
  host: string;
  pools: string[];
  keepDays: number;
  now: string;
  dryRun: boolean;
  /** Aside images (`image` or `pool/image`) to remove whatever their restore's state or age, unless it still runs. */
  named?: string[];
}

export async function purgeAside(input: PurgeAsideInput): Promise<AsidePurgeResult> {
  const { purgeAsideImages } = proxyActivities<AsideActivities>({
    taskQueue: hostTaskQueue(workflowInfo().taskQueue, input.host),
    startToCloseTimeout: '6h',
    // `rbd rm` of a big image takes minutes: the activity heartbeats meanwhile.
    heartbeatTimeout: '30s',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
  });
  const result = await purgeAsideImages({ pools: input.pools, keepDays: input.keepDays, now: input.now, dryRun: input.dryRun, named: input.named });
  if (!input.dryRun) recordOutcome('ok');
  return result;
}
