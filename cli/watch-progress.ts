// Follows a running workflow until it ends: the step comes from the workflow's
// `progress` query, bytes and percent from the heartbeat details of its running
// activity (as `describe` reports them), retries from the activity's attempt.
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { HeartbeatProgress } from '../activities/heartbeat.ts';
import { stepProgressQuery } from '../workflows/definitions.ts';
import { awaitResult, type ReconnectOptions } from './await-result.ts';
import type { CliContext } from './context.ts';
import { formatBytes, formatDuration } from './output/format.ts';
import { ProgressLine } from './output/progress.ts';

/** Waits for the workflow's result (through a Temporal that goes away for a while, see await-result.ts), showing its progress when `show`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function followProgress<R>(handle: WorkflowHandle<(...args: any[]) => Promise<R>>, show: boolean, reconnect: ReconnectOptions): Promise<R> {
  return withProgressLine(awaitResult(handle, reconnect), show, 1000, () => describeProgress(handle));
}

/**
 * A workflow just started: says which (id and Web UI link) and waits for its
 * result through a Temporal that may go away for a while, with a progress line
 * from its description when `show` (any workflow type; no query needed).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function followStarted<R>(ctx: CliContext, what: string, handle: WorkflowHandle<(...args: any[]) => Promise<R>>, show = ctx.showProgress): Promise<R> {
  ctx.announce(what, handle.workflowId);
  const reconnect = { temporal: ctx.config.temporal, reconnectSeconds: ctx.reconnectSeconds, what };
  return withProgressLine(awaitResult(handle, reconnect), show, 2000, () => describeRunning(handle));
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
  // allSettled: with Promise.all, one call failing would leave the other retrying in the
  // background, past the CLI's close of the connection, where it throws out of a timer.
  const [stepAsked, described] = await Promise.allSettled([handle.query(stepProgressQuery), handle.describe()]);
  if (stepAsked.status === 'rejected') throw stepAsked.reason;
  if (described.status === 'rejected') throw described.reason;
  return [`[${stepAsked.value.step}]`, ...activityProgress(described.value, stepAsked.value.detail)].join('  ');
}

/** The running activity's heartbeat (percent, bytes) or `detail`, and its retries. */
function activityProgress(description: WorkflowExecutionDescription, detail?: string): string[] {
  const parts: string[] = [];
  const activity = description.raw.pendingActivities?.[0];
  const payload = activity?.heartbeatDetails?.payloads?.[0];
  const beat = payload ? defaultPayloadConverter.fromPayload<HeartbeatProgress>(payload) : undefined;
  if (beat?.percent !== undefined) parts.push(`${beat.percent.toFixed(1)}%`);
  if (beat?.bytesTotal) parts.push(`${formatBytes(beat.bytesDone)} / ${formatBytes(beat.bytesTotal)}`);
  else if (detail) parts.push(detail);
  if (activity?.attempt && activity.attempt > 1) {
    parts.push(`(attempt ${activity.attempt}${activity.lastFailure?.message ? `, last: ${activity.lastFailure.message}` : ''})`);
  }
  return parts;
}

/**
 * Any workflow's progress from its description alone (no query, so no worker
 * needed to answer): how long it has run, its running activity or children.
 */
export async function describeRunning(handle: WorkflowHandle): Promise<string> {
  const d = await handle.describe();
  if (d.status.name !== 'RUNNING') return d.status.name.toLowerCase();
  const activities = (d.raw.pendingActivities ?? []).map((a) => a.activityType?.name).filter((n): n is string => Boolean(n));
  const children = d.raw.pendingChildren?.length ?? 0;
  const doing = [
    activities.length ? `[${[...new Set(activities)].join(', ')}]` : children ? '' : '[waiting]',
    children ? `${children} child workflow${children === 1 ? '' : 's'} running` : '',
  ].filter(Boolean);
  return [`${formatDuration(Date.now() - d.startTime.getTime())}`, ...doing, ...activityProgress(d)].join('  ');
}

/** Several workflows on one line, `backup1: 2m10s [purgeVersions]  |  backup2: …`; a failed ask shows `starting`. */
export function workflowsProgress(handles: ReadonlyArray<{ label: string; handle: WorkflowHandle }>, describe: (h: WorkflowHandle) => Promise<string> = describeRunning): () => Promise<string> {
  return async () =>
    (await Promise.all(handles.map(async ({ label, handle }) => `${label}: ${await describe(handle).catch(() => 'starting')}`))).join('  |  ');
}
