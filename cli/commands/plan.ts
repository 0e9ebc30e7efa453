// `vmbackup plan`: will tonight fit? Each host's next night predicted from its
// measured nights (their summaries, in visibility) and its worker's view of
// tonight (workflow nightForecast: inventory, assignments, the store's stats),
// against the host's window; and, when a host does not fit or the hosts are
// uneven, project moves that even them out, printed as a config snippet. It
// reads only: nothing is started that backs up, removes or changes anything.
import type { Client } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { hostConfig } from '../../lib/config/load.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { IMBALANCE_THRESHOLD, movesYaml } from '../../lib/forecast/balance.ts';
import { type FleetPlan, type HostInput, measuredNight, planFleet } from '../../lib/forecast/fleet-plan.ts';
import type { MeasuredNight } from '../../lib/forecast/model.ts';
import type { Workload } from '../../lib/naming.ts';
import type { NightForecastFacts } from '../../lib/operations/forecast.ts';
import type { nightForecast } from '../../workflows/night-forecast.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, formatDuration } from '../output/format.ts';
import type { Field } from '../output/render.ts';
import { renderTable } from '../output/table.ts';
import { executeHostWorkflow, runPerHost } from '../per-host.ts';
import { idStamp } from '../workflow-id.ts';

interface PlanOptions {
  host?: string;
  workload: Workload;
  nights: string;
  imbalance: string;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description("will tonight fit? each host's next night predicted against its window, and project moves that balance the hosts")
    .option('--host <name>', 'only this host (no moves are proposed: they need every host)')
    .addOption(new Option('--workload <kind>', 'the nights of this workload').choices(['vms', 'volumes', 'images']).default('vms'))
    .option('--nights <n>', 'measured nights per host the prediction is fitted from', '7')
    .option('--imbalance <share>', 'propose moves when the hosts\' loads (night / window) differ by more than this', String(IMBALANCE_THRESHOLD))
    .addHelpText(
      'after',
      `
Per disk a night costs a fixed time (snapshot, diff, start-up) plus its bytes
over the host's read rate; the host's lanes (concurrency) share the disks. The
read rate comes from the store's stats, the fixed time from the host's last
nights; a disk with no version on the host is read whole. The moves are a
proposal: merge them into project_assignments.projects yourself (the first
night after a move copies the moved projects whole on their new host).
The prediction follows this config's assignments: edit a copy, pass it with
-c, and see whether the proposal fits before the workers get it.

Examples:
  vmbackup plan
  vmbackup plan --host backup1 -f json`,
    )
    .action(withContext((ctx, options: PlanOptions) => runPlan(ctx, options), { listing: true }));
}

async function runPlan(ctx: CliContext, options: PlanOptions): Promise<void> {
  const nightsWanted = Number(options.nights);
  if (!Number.isInteger(nightsWanted) || nightsWanted < 1 || nightsWanted > 100) throw new InvalidInputError(`--nights '${options.nights}': expected a whole number from 1 to 100`);
  const threshold = Number(options.imbalance);
  if (!/^\d*\.?\d+$/.test(options.imbalance) || threshold > 10) throw new InvalidInputError(`--imbalance '${options.imbalance}': expected a share such as 0.25 (25 points of the windows)`);
  if (!ctx.config.workloads[options.workload]) throw new InvalidInputError(`${ctx.config.source}: workloads.${options.workload} is not configured; nothing to plan`);
  if (options.host !== undefined) hostConfig(ctx.config, options.host); // an unknown host: exit 2 before connecting
  const client = await ctx.temporal();
  const stamp = idStamp();
  const { results, errors } = await runPerHost(ctx, client, options.host, async (host): Promise<HostInput> => {
    const [facts, nights] = await Promise.all([
      executeHostWorkflow<typeof nightForecast>(ctx, client, {
        workflowType: 'nightForecast',
        idPrefix: 'forecast',
        host,
        stamp,
        dryRun: false,
        operation: 'plan',
        input: { host, workload: options.workload, assignments: ctx.config.project_assignments, exclusions: ctx.config.exclude },
      }),
      measuredNights(ctx, client, host, options.workload, nightsWanted),
    ]);
    return hostInput(ctx, facts, nights);
  });
  const plan = planFleet(results, { balance: options.host === undefined && errors.length === 0, threshold });
  ctx.list({
    rows: plan.hosts,
    fields: HOST_FIELDS,
    document: { workload: options.workload, ...plan, yaml: plan.balance?.moves.length ? movesYaml(plan.balance.moves, hours) : undefined, errors },
    report: () => printPlan(plan),
  });
  for (const e of errors) console.error(`warning: host ${e.host} did not answer, its night is not predicted and no moves are proposed: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}

function hostInput(ctx: CliContext, facts: NightForecastFacts, nights: MeasuredNight[]): HostInput {
  const host = ctx.config.hosts.find((h) => h.name === facts.host)!;
  return {
    host: facts.host,
    concurrency: host.concurrency,
    windowSeconds: (host.night_window_hours ?? ctx.config.monitoring.night_window_hours) * 3600,
    planned: facts.planned,
    full: facts.full,
    readBytesPerSecond: facts.readBytesPerSecond,
    projects: facts.projects,
    nights,
  };
}

/** The host's last finished nights of this config's queue, from their memos (visibility only, no history read). */
async function measuredNights(ctx: CliContext, client: Client, host: string, workload: Workload, limit: number): Promise<MeasuredNight[]> {
  // Host and workload are validated names (no quotes); the queue comes from the validated config.
  const query = [
    'Operation = "nightly"',
    `BackupHost = "${host}"`,
    `Workload = "${workload}"`,
    `TaskQueue = "${ctx.config.temporal.task_queue}"`,
    'ExecutionStatus = "Completed"',
  ].join(' AND ');
  const nights: MeasuredNight[] = [];
  for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit * 2, 100) })) {
    const night = measuredNight(wf.memo);
    if (night) nights.push(night);
    if (nights.length >= limit) break;
  }
  return nights;
}

const hours = (seconds: number): string => formatDuration(seconds * 1000);

const rate = (h: FleetPlan['hosts'][number]) => (h.model && Number.isFinite(h.model.readBytesPerSecond) ? `${formatBytes(h.model.readBytesPerSecond)}/s` : undefined);

/** One row per host: its predicted night against its window; raw cells in seconds and bytes per second. */
const HOST_FIELDS: Field<FleetPlan['hosts'][number]>[] = [
  { header: 'HOST', value: (h) => h.host },
  { header: 'DISKS', value: (h) => h.planned, align: 'right' },
  { header: 'FULL', value: (h) => h.full, align: 'right' },
  { header: 'TONIGHT', value: (h) => (h.predictedSeconds === undefined ? undefined : hours(h.predictedSeconds)), raw: (h) => h.predictedSeconds, align: 'right' },
  { header: 'STEADY', value: (h) => (h.steadySeconds === undefined ? undefined : hours(h.steadySeconds)), raw: (h) => h.steadySeconds, align: 'right' },
  { header: 'WINDOW', value: (h) => hours(h.windowSeconds), raw: (h) => h.windowSeconds, align: 'right' },
  { header: 'FITS', value: (h) => h.fits },
  { header: 'PER DISK', value: (h) => h.model && `${h.model.fixedSecondsPerDisk.toFixed(1)}s`, raw: (h) => h.model?.fixedSecondsPerDisk, align: 'right' },
  { header: 'READ/LANE', name: 'read-per-lane', value: rate, raw: (h) => h.model?.readBytesPerSecond, align: 'right' },
  { header: 'FITTED FROM', value: (h) => (h.modelFrom === 'measured' ? `${h.model!.nights} nights` : h.modelFrom === 'fleet' ? 'other hosts' : 'no night yet'), raw: (h) => h.modelFrom },
];

function printPlan(plan: FleetPlan): void {
  console.log(renderTable(plan.hosts, HOST_FIELDS));
  const none = plan.hosts.filter((h) => h.modelFrom === 'none');
  if (none.length) console.log(`\nno measured night yet on ${none.map((h) => h.host).join(', ')}: nothing to predict from (run a night first)`);
  const b = plan.balance;
  if (!b) return;
  if (!b.needed) {
    console.log('\nthe hosts fit their windows and are even: no moves proposed');
    return;
  }
  if (b.moves.length === 0) {
    console.log('\nno project move would make the hosts more even (one project may be too large for any host: split it, or add hosts)');
    return;
  }
  console.log('\nproposed moves (not applied; merge into your config):');
  console.log(
    renderTable(b.moves, [
      { header: 'PROJECT', value: (m) => m.project },
      { header: 'FROM', value: (m) => m.from },
      { header: 'TO', value: (m) => m.to },
      { header: 'LANE TIME', value: (m) => hours(m.steadySeconds), align: 'right' },
      { header: 'FIRST NIGHT COPIES', value: (m) => formatBytes(m.firstNightBytes), align: 'right' },
    ]),
  );
  console.log();
  console.log(movesYaml(b.moves, hours));
  console.log();
  console.log(
    renderTable(b.after, [
      { header: 'AFTER THE MOVES', value: (h) => h.host },
      { header: 'STEADY', value: (h) => hours(h.steadySeconds), align: 'right' },
      { header: 'WINDOW', value: (h) => hours(h.windowSeconds), align: 'right' },
      { header: 'FITS', value: (h) => h.steadySeconds <= h.windowSeconds },
    ]),
  );
}
