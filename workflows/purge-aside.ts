// purgeAside: removes the images restores moved aside once they are older than
// restore.keep_aside_days. Ceph is shared by every host, so any one host's
// worker does it. `now` is an input, so a run is reproducible (and testable).
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AsideActivities, AsidePurgeResult } from '../activities/aside-activities.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';

export interface PurgeAsideInput {
  /** Any backup host with a worker: Ceph is the same from all of them. */
  host: string;
  pools: string[];
  keepDays: number;
  now: string;
  dryRun: boolean;
}

export async function purgeAside(input: PurgeAsideInput): Promise<AsidePurgeResult> {
  const { purgeAsideImages } = proxyActivities<AsideActivities>({
    taskQueue: hostTaskQueue(workflowInfo().taskQueue, input.host),
    startToCloseTimeout: '30m',
    retry: { maximumAttempts: 5 },
  });
  return purgeAsideImages({ pools: input.pools, keepDays: input.keepDays, now: input.now, dryRun: input.dryRun });
}
