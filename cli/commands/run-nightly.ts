// `vmbackup run-nightly`: starts the nightly job now, as its Schedule would,
// on one host or all of them.
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { hostConfig } from '../../lib/config/load.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import type { Workload } from '../../lib/naming.ts';
import type { NightlyInput, NightlySummary } from '../../lib/operations/nightly.ts';
import { nightlyProgressQuery } from '../../workflows/definitions.ts';
import { nightlyAttributes, nightlyWorkflowPrefix } from '../../lib/operations/nightly-start.ts';
import type { nightlyBackups } from '../../workflows/nightly-backups.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { idStamp } from '../workflow-id.ts';
import { EXIT } from '../exit-codes.ts';
import { renderNightlySummary } from '../output/nightly-summary.ts';
import { awaitResult, type ReconnectOptions } from '../await-result.ts';
import { withProgressLine, workflowsProgress } from '../watch-progress.ts';

interface RunNightlyOptions {
  host?: string;
  workload: Workload;
  wait?: boolean;
  dryRun?: boolean;
  childrenPerRun?: string;
}

export function registerRunNightly(program: Command): void {
  program
    .command('run-nightly')
    .description('run the nightly backup job now: every disk assigned to the host(s), skipped ones with the reason')
    .option('--host <name>', 'only this backup host (default: every host)')
    .addOption(new Option('--workload <kind>', 'VM disks, Cinder volumes or Glance images').choices(['vms', 'volumes', 'images']).default('vms'))
    .option('-w, --wait', 'wait for the summary, showing progress; exit 1 if any disk failed or a host was unreachable')
    .option('-n, --dry-run', 'take the inventory and show the decisions, back up nothing')
    .option('--children-per-run <n>', 'backups per workflow run before it continues as new (default 200)')
    .addHelpText(
      'after',
      `
The same workflow the Schedules start (see \`vmbackup schedule\`). One disk's
failure never stops the others; the summary lists every skip and failure.

Examples:
  vmbackup run-nightly --wait
  vmbackup run-nightly --host backup1 --workload volumes --dry-run`,
    )
    .action(withContext((ctx, options: RunNightlyOptions) => runNightly(ctx, options)));
}

async function runNightly(ctx: CliContext, options: RunNightlyOptions): Promise<number> {
  const hosts = options.host ? [hostConfig(ctx.config, options.host)] : ctx.config.hosts;
  const workload = options.workload;
  if (!ctx.config.workloads[workload]) throw new InvalidInputError(`${ctx.config.source}: workloads.${workload} is not configured; nothing was started`);
  const childrenPerRun = options.childrenPerRun === undefined ? undefined : Number(options.childrenPerRun);
  if (childrenPerRun !== undefined && !(Number.isInteger(childrenPerRun) && childrenPerRun >= 1)) {
    throw new InvalidInputError(`--children-per-run must be a whole number ≥ 1, got '${options.childrenPerRun}'; nothing was started`);
  }
  const client = await ctx.temporal();
  const stamp = idStamp();
  const handles: Array<{ host: string; handle: WorkflowHandleWithFirstExecutionRunId<typeof nightlyBackups> }> = [];
  for (const host of hosts) {
    const input: NightlyInput = { host: host.name, workload, dryRun: Boolean(options.dryRun), childrenPerRun, hostAnswerSeconds: ctx.config.schedules.host_answer_seconds };
    const handle = await client.workflow.start<typeof nightlyBackups>('nightlyBackups', {
      taskQueue: ctx.config.temporal.task_queue,
      workflowId: `${nightlyWorkflowPrefix(host.name, workload)}-${stamp}${options.dryRun ? '-plan' : ''}`,
      args: [input],
      typedSearchAttributes: nightlyAttributes(host.name, workload, options.dryRun),
    });
    handles.push({ host: host.name, handle });
    ctx.announce(`night of ${host.name} (${workload}${options.dryRun ? ', dry run' : ''})`, handle.workflowId, handle.firstExecutionRunId);
  }
  if (!options.wait && !options.dryRun) {
    if (ctx.output === 'json') console.log(JSON.stringify(handles.map(({ handle }) => ({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId })), null, 2));
    return EXIT.ok;
  }
  const summaries = await followNights(handles, ctx.showProgress, { temporal: ctx.config.temporal, reconnectSeconds: ctx.reconnectSeconds, what: 'night' });
  if (ctx.output === 'json') console.log(JSON.stringify(summaries.map(({ workflowId, summary }) => ({ workflowId, ...summary })), null, 2));
  else console.log(summaries.map(({ workflowId, summary }) => renderNightlySummary(summary, workflowId)).join('\n\n'));
  return summaries.some(({ summary }) => summary.counts.failed > 0 || summary.unreachable) ? EXIT.failed : EXIT.ok;
}

/** Waits for every night, with one progress line over all of them. */
function followNights(handles: Array<{ host: string; handle: WorkflowHandleWithFirstExecutionRunId<typeof nightlyBackups> }>, show: boolean, reconnect: ReconnectOptions) {
  const results = Promise.all(handles.map(async ({ handle }) => ({ workflowId: handle.workflowId, summary: (await awaitResult(handle, reconnect)) as NightlySummary })));
  return withProgressLine(results, show, 2000, nightsProgress(handles));
}

/** One night's disks done, running, failed and skipped (its progress query). */
export async function nightProgress(handle: WorkflowHandle): Promise<string> {
  const p = await handle.query(nightlyProgressQuery);
  return `${p.done}/${p.planned} done, ${p.running.length} running, ${p.failed} failed, ${p.skipped} skipped`;
}

/** One line over several nights; a night not answering yet (before its first task, between two runs) shows `starting`. */
export const nightsProgress = (handles: ReadonlyArray<{ host: string; handle: WorkflowHandle }>) =>
  workflowsProgress(
    handles.map(({ host, handle }) => ({ label: host, handle })),
    nightProgress,
  );
