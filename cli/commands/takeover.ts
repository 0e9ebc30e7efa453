// `vmbackup takeover --from HOST`: a backup host that is gone for good hands
// its disks to the hosts the config now assigns them to. Each of those runs a
// takeover night (nightlyBackups with `takeover`, lib/operations/takeover.ts):
// full backups of the disks assigned to it that it holds no valid version of,
// then the lost host's snapshots on each of them go. The lost host's store is
// never touched. It removes snapshots, so it follows the removals' convention:
// --dry-run shows the plan, --yes --plan TOKEN carries out that plan.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { hostConfig } from '../../lib/config/load.ts';
import { InvalidInputError, rootCause } from '../../lib/errors.ts';
import { HostName, type Workload } from '../../lib/naming.ts';
import type { NightlyInput, NightlySummary } from '../../lib/operations/nightly.ts';
import { nightlyAttributes } from '../../lib/operations/nightly-start.ts';
import { takeoverRefusal } from '../../lib/operations/takeover.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { hostsWithWorkers, NO_WORKER, recentPollers } from '../../lib/temporal/pollers.ts';
import type { nightlyBackups } from '../../workflows/nightly-backups.ts';
import { awaitResult } from '../await-result.ts';
import { carryOutPlan, consentOf, type PlannedRuns } from '../confirm.ts';
import { LIVE_WITHIN_MS } from '../config-guard.ts';
import { withContext } from '../action.ts';
import { type CliContext, TemporalUnavailableError } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { renderNightlySummary } from '../output/nightly-summary.ts';
import { idStamp } from '../workflow-id.ts';
import { printPlanned } from '../planned-per-host.ts';
import { withProgressLine } from '../watch-progress.ts';
import { nightsProgress } from './run-nightly.ts';

interface TakeoverOptions {
  from: string;
  to?: string;
  workload: Workload;
  dryRun?: boolean;
  yes?: boolean;
  plan?: string;
}

/** One host's takeover night, as the plan flow sees it. */
interface TakeoverRun {
  host: string;
  planDigest: string;
  workflowId: string;
  summary: NightlySummary;
}

export function registerTakeover(program: Command): void {
  program
    .command('takeover')
    .description("back up a lost backup host's disks on the hosts the config now assigns them to, and remove its snapshots on them")
    .requiredOption('--from <host>', 'the backup host that is gone for good')
    .option('--to <host>', 'only this host takes over (default: every other configured host)')
    .addOption(new Option('--workload <kind>', 'VM disks, Cinder volumes or Glance images').choices(['vms', 'volumes', 'images']).default('vms'))
    .option('-n, --dry-run', 'list the disks each host would back up, change nothing; prints the line that confirms this plan')
    .option('-y, --yes', 'carry out the plan given with --plan')
    .option('--plan <token>', 'the plan a dry run printed (<host>:<digest>,…); a host whose plan differs does nothing')
    .addHelpText(
      'after',
      `
First change project_assignments so that no project names the lost host, and
restart the remaining hosts' workers with that config: the command refuses
(exit 2) while the config still assigns a project to it, or while its worker
still polls (it is not lost). Each host that takes over backs up, in full, the
disks the config assigns to it that its store has no valid version of (a
night: child backups in the Web UI, the summary at the end). Once a disk's new
version is valid, the lost host's snapshots on it are removed: they only served
its incrementals. The lost host's store is never touched; its backups stay
restorable if it comes back (then see remove-unhandled).

Examples:
  vmbackup takeover --from backup1 --dry-run
  vmbackup takeover --from backup1 --yes --plan backup2:3f2a9c1e04`,
    )
    .action(withContext((ctx, options: TakeoverOptions) => runTakeover(ctx, options)));
}

async function runTakeover(ctx: CliContext, options: TakeoverOptions): Promise<number> {
  const consent = consentOf(options, { command: 'takeover', action: "backs up a lost host's disks elsewhere and removes its snapshots", planRequired: true });
  const from = HostName.safeParse(options.from);
  if (!from.success) throw new InvalidInputError(`--from '${options.from}' is not a host name: ${from.error.issues[0]?.message}; nothing was started`);
  const lost = from.data;
  const targets = options.to ? [hostConfig(ctx.config, options.to).name] : ctx.config.hosts.map((h) => h.name).filter((h) => h !== lost);
  if (targets.includes(lost)) throw new InvalidInputError(`--to names the lost host ${lost} itself; nothing was started`);
  if (targets.length === 0) throw new InvalidInputError(`${ctx.config.source} names no host but ${lost} to take over; nothing was started`);
  if (!ctx.config.workloads[options.workload]) throw new InvalidInputError(`${ctx.config.source}: workloads.${options.workload} is not configured; nothing was started`);
  const refusal = takeoverRefusal(ctx.config.source, ctx.config.project_assignments, lost);
  if (refusal) throw new InvalidInputError(refusal, `Edit project_assignments in ${ctx.config.source}; \`vmbackup where PROJECT\` shows where a project goes.`);

  const client = await ctx.temporal();
  await assertLost(ctx, client, lost);
  const stamp = idStamp();
  const outcome = await carryOutPlan<TakeoverRun>(consent, targets, {
    run: (plans) => runNights(ctx, client, { lost, targets, workload: options.workload, stamp, plans }),
    describe: (results) => `back up ${results.reduce((n, r) => n + r.summary.counts.planned, 0)} disks on ${results.map((r) => r.host).join(', ')} and remove ${lost}'s snapshots on them`,
    show: ({ results }) => printRuns(results),
  });
  printPlanned(ctx, outcome, { show: printRuns }, 'results');
  for (const e of outcome.errors) console.error(`warning: host ${e.host}: nothing was taken over: ${e.error}`);
  return outcome.errors.length || outcome.results.some((r) => r.summary.counts.failed > 0) ? EXIT.failed : EXIT.ok;
}

/** Refuses while the host's worker still polls: its snapshots are then its incrementals' bases, not leftovers. */
async function assertLost(ctx: CliContext, client: Client, host: string): Promise<void> {
  const queue = hostTaskQueue(ctx.config.temporal.task_queue, host);
  const [alive] = await recentPollers(client, ctx.config.temporal.namespace, [queue], LIVE_WITHIN_MS);
  if (!alive) return;
  throw new InvalidInputError(
    `${host} is not lost: worker ${alive.identity} polled ${queue} ${Math.round((Date.now() - alive.lastPoll.getTime()) / 1000)} s ago; a takeover is for a host that is gone for good; nothing was started`,
    `If ${host} is being retired, stop its worker and run the takeover again ${LIVE_WITHIN_MS / 1000} s later.`,
  );
}

/** Starts every live target's takeover night (a dry run without `plans`) and waits for all, with one progress line. */
async function runNights(
  ctx: CliContext,
  client: Client,
  run: { lost: string; targets: string[]; workload: Workload; stamp: string; plans?: ReadonlyMap<string, string> | undefined },
): Promise<PlannedRuns<TakeoverRun>> {
  const dryRun = run.plans === undefined;
  const { task_queue, namespace } = ctx.config.temporal;
  const live = await hostsWithWorkers(client, namespace, task_queue, run.targets);
  const errors = run.targets.filter((h) => !live.has(h)).map((host) => ({ host, error: NO_WORKER }));
  const handles: Array<{ host: string; handle: WorkflowHandle<typeof nightlyBackups> }> = [];
  for (const host of run.targets.filter((h) => live.has(h))) {
    const input: NightlyInput = {
      host,
      workload: run.workload,
      dryRun,
      hostAnswerSeconds: ctx.config.schedules.host_answer_seconds,
      takeover: { from: run.lost, ...(run.plans ? { confirmedPlan: run.plans.get(host) } : {}) },
    };
    const workflowId = `takeover/${run.lost}/${host}/${run.stamp}${dryRun ? '/dry-run' : ''}`;
    const handle = await client.workflow.start<typeof nightlyBackups>('nightlyBackups', {
      taskQueue: task_queue,
      workflowId,
      args: [input],
      typedSearchAttributes: nightlyAttributes(host, run.workload, dryRun),
    });
    handles.push({ host, handle });
    ctx.announce(`takeover night of ${host} (of lost ${run.lost}${dryRun ? ', dry run' : ''})`, workflowId, handle.firstExecutionRunId);
  }
  const settled = Promise.all(
    handles.map(async ({ host, handle }) => {
      try {
        const summary = (await awaitResult(handle, { temporal: ctx.config.temporal, reconnectSeconds: ctx.reconnectSeconds, what: 'takeover night' })) as NightlySummary;
        return { run: { host, planDigest: summary.takeover?.planDigest ?? '', workflowId: handle.workflowId, summary } };
      } catch (err) {
        if (err instanceof TemporalUnavailableError) throw err; // the night goes on; exit 4 says so
        return { error: { host, error: rootCause(err).message } };
      }
    }),
  );
  const outcomes = await withProgressLine(settled, ctx.showProgress && !dryRun, 2000, nightsProgress(handles));
  return {
    results: outcomes.flatMap((o) => (o.run ? [o.run] : [])),
    errors: [...errors, ...outcomes.flatMap((o) => (o.error ? [o.error] : []))],
  };
}

function printRuns(runs: TakeoverRun[]): void {
  console.log(runs.map((r) => renderNightlySummary(r.summary, r.workflowId)).join('\n\n'));
}
