// Commands that run once per backup host (purge, snapshots, remove-invalids,
// remove-unhandled): on the host named with --host, or on every configured
// one. A host with no worker polling, or whose run fails, is named in
// `errors`; the others still report.
import type { Client, WorkflowHandle, WorkflowResultType } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { hostConfig } from '../lib/config/load.ts';
import { rootCause } from '../lib/errors.ts';
import { BackupHost, Operation, type OperationName } from '../lib/search-attributes.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { hostsWithWorkers, NO_WORKER } from '../lib/temporal/pollers.ts';
import { awaitResult } from './await-result.ts';
import type { CliContext } from './context.ts';

export interface PerHost<T> {
  results: T[];
  errors: Array<{ host: string; error: string }>;
}

/** The host named with --host (checked against the config), or every configured one. */
export function wantedHosts(ctx: CliContext, only: string | undefined): string[] {
  return only === undefined ? ctx.config.hosts.map((h) => h.name) : [hostConfig(ctx.config, only).name];
}

export async function runPerHost<T>(ctx: CliContext, client: Client, only: string | undefined, run: (host: string) => Promise<T>): Promise<PerHost<T>> {
  const wanted = wantedHosts(ctx, only);
  const live = await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, wanted);
  const outcomes = await Promise.all(
    wanted.map(async (host): Promise<{ result: T } | { host: string; error: string }> => {
      if (!live.has(host)) return { host, error: NO_WORKER };
      try {
        return { result: await run(host) };
      } catch (err) {
        return { host, error: rootCause(err).message };
      }
    }),
  );
  return {
    results: outcomes.flatMap((o) => ('result' in o ? [o.result] : [])),
    errors: outcomes.flatMap((o) => ('error' in o ? [o] : [])),
  };
}

export interface HostWorkflowRun<W extends Workflow> {
  workflowType: string;
  /** The id is `<idPrefix>/<host>/<stamp>`, with `/dry-run` for a dry run. */
  idPrefix: string;
  host: string;
  stamp: string;
  dryRun: boolean;
  /** What the Web UI's `Operation` search attribute says of it. */
  operation: OperationName;
  /** The workflow's one argument. */
  input: Parameters<W>[0];
  /** The shared queue instead of the host's (a workflow that reaches the host through activities). */
  sharedQueue?: boolean;
  /** The same run started twice at once is one run. */
  useExisting?: boolean;
  /** Told of the started workflow (a progress line over every host's). */
  onStart?: (label: string, handle: WorkflowHandle) => void;
}

/** Runs one host's maintenance workflow to its end, findable by Operation and BackupHost; says which it started. */
export async function executeHostWorkflow<W extends Workflow>(ctx: CliContext, client: Client, run: HostWorkflowRun<W>): Promise<WorkflowResultType<W>> {
  const base = ctx.config.temporal.task_queue;
  const handle = await client.workflow.start(run.workflowType, {
    taskQueue: run.sharedQueue ? base : hostTaskQueue(base, run.host),
    workflowId: `${run.idPrefix}/${run.host}/${run.stamp}${run.dryRun ? '/dry-run' : ''}`,
    args: [run.input],
    typedSearchAttributes: [
      { key: Operation, value: run.operation },
      { key: BackupHost, value: run.host },
    ],
    ...(run.useExisting ? { workflowIdConflictPolicy: 'USE_EXISTING' as const } : {}),
  });
  ctx.announce(`${run.idPrefix}${run.dryRun ? ' (dry run)' : ''} on ${run.host}`, handle.workflowId, handle.firstExecutionRunId);
  run.onStart?.(run.host, handle);
  return (await awaitResult(handle, { temporal: ctx.config.temporal, reconnectSeconds: ctx.reconnectSeconds, what: run.idPrefix })) as WorkflowResultType<W>;
}
