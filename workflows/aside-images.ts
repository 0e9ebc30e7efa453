// The images restores moved aside, for the operator: list them (with what their
// restore recorded), and put one back under its name (`vmbackup aside`). Ceph is
// shared by every host, so any one host's worker does it.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AsideActivities, AsideImage, PutBackResult } from '../activities/aside-activities.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { recordOutcome } from './audit.ts';
import { lockDisk } from './disk-lock.ts';

function asideActivities(host: string) {
  return proxyActivities<AsideActivities>({
    taskQueue: hostTaskQueue(workflowInfo().taskQueue, host),
    startToCloseTimeout: '10m',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
  });
}

export async function listAside(input: { host: string; pools: string[] }): Promise<AsideImage[]> {
  return asideActivities(input.host).listAsideImages({ pools: input.pools });
}

/**
 * Puts an aside image back: plans (which pool, what is in the way), takes the
 * disk's lock so no backup or restore starts on it meanwhile (refused while
 * one holds it), then renames.
 */
export async function putBackAside(input: { host: string; pools: string[]; aside: string; now: string; dryRun: boolean }): Promise<PutBackResult> {
  const act = asideActivities(input.host);
  const plan = await act.putBackAside({ pools: input.pools, aside: input.aside, now: input.now, dryRun: true });
  if (input.dryRun) return plan;
  await lockDisk({ pool: plan.pool, image: plan.image }, 'put-back', 'refuse');
  const result = await act.putBackAside({ pools: input.pools, aside: input.aside, now: input.now, dryRun: false });
  recordOutcome('ok');
  return result;
}
