// Follows a running workflow until it ends: the step comes from the workflow's
// `progress` query, bytes and percent from the heartbeat details of its running
// activity (as `describe` reports them), retries from the activity's attempt.
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { HeartbeatProgress } from '../activities/heartbeat.ts';
import { stepProgressQuery } from '../workflows/definitions.ts';
import { formatBytes } from './output/format.ts';
import { ProgressLine } from './output/progress.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function followProgress<R>(handle: WorkflowHandle<(...args: any[]) => Promise<R>>, show: boolean): Promise<R> {
  return withProgressLine(handle.result(), show, 1000, () => describeProgress(handle));
}

/**
 * Awaits `result`, redrawing one progress line from `describe` every
 * `intervalMs` meanwhile (when `show`). A failed poll is skipped: the workflow
 * may end between two polls, or a worker may be restarting.
 */
export async function withProgressLine<R>(result: Promise<R>, show: boolean, intervalMs: number, describe: () => Promise<string>): Promise<R> {
  let finished = false;
  const settled = result.finally(() => {
    finished = true;
  });
  const line = new ProgressLine();
  const watch = (async () => {
    while (show && !finished) {
      try {
        line.update(await describe());
      } catch {
        // keep waiting for the result
      }
      await Promise.race([sleep(intervalMs), settled.catch(() => undefined)]);
    }
  })();
  try {
    return await settled;
  } finally {
    await watch;
    line.done();
  }
}

async function describeProgress(handle: WorkflowHandle): Promise<string> {
  const [step, description] = await Promise.all([handle.query(stepProgressQuery), handle.describe()]);
  const parts = [`[${step.step}]`];
  const activity = description.raw.pendingActivities?.[0];
  const payload = activity?.heartbeatDetails?.payloads?.[0];
  const beat = payload ? defaultPayloadConverter.fromPayload<HeartbeatProgress>(payload) : undefined;
  if (beat?.percent !== undefined) parts.push(`${beat.percent.toFixed(1)}%`);
  if (beat?.bytesTotal) parts.push(`${formatBytes(beat.bytesDone)} / ${formatBytes(beat.bytesTotal)}`);
  else if (step.detail) parts.push(step.detail);
  if (activity?.attempt && activity.attempt > 1) {
    parts.push(`(attempt ${activity.attempt}${activity.lastFailure?.message ? `, last: ${activity.lastFailure.message}` : ''})`);
  }
  return parts.join('  ');
}
