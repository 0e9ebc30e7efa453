// `vmbackup schedule apply|list|trigger|pause|unpause`: the Temporal Schedules
// that start every host's nightly backups and purge. `apply` makes them match
// the config exactly (and is safe to run again); the rest act on one of them.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, type ScheduleDescription, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import type { Command } from 'commander';
import { InvalidInputError, PlanChangedError, UnknownScheduleError, VmbackupError } from '../../lib/errors.ts';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { formatPlanToken, planDigest } from '../../lib/plan-digest.ts';
import { type DesiredSchedule, describeScheduleTime, desiredSchedules, schedulePrefix, WEEKDAYS, type Weekday } from '../../lib/schedules.ts';
import { askOnTerminal, confirmLine, type ConsentOptions, consentOf } from '../confirm.ts';
import { withContext } from '../action.ts';
import { awaitResult } from '../await-result.ts';
import { describeRunning, withProgressLine } from '../watch-progress.ts';
import { nightProgress } from './run-nightly.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatDate } from '../output/format.ts';
import { renderNightlySummary } from '../output/nightly-summary.ts';
import { checkFailed, isDrillSummary, isVerifySummary, renderCheckSummary } from '../output/check-summary.ts';
import { renderTable } from '../output/table.ts';

const FINGERPRINT = 'vmbackupConfig';

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description("the Temporal Schedules that start each host's nightly backups and purge")
    .addHelpText(
      'after',
      `
Schedule ids are <task_queue>/<host>/<vms|volumes|images|purge>; commands take
the id or just <host>/<kind>. Times and time zones come from hosts[].schedule.

Examples:
  vmbackup schedule apply --dry-run
  vmbackup schedule apply
  vmbackup schedule apply --yes --plan schedules:3f2a9c1e04   (when it removes Schedules)
  vmbackup schedule list
  vmbackup schedule trigger backup1/vms --wait
  vmbackup schedule pause backup2/purge --note "store migration, INC-123"`,
    );
  schedule
    .command('apply')
    .description('create or update every Schedule the config names, remove the ones it no longer names')
    .option('-n, --dry-run', 'show what would change, change nothing; prints the line that confirms removals')
    .option('-y, --yes', 'remove the Schedules of the plan given with --plan (creating and updating need no confirmation)')
    .option('--plan <token>', 'the plan a dry run printed; nothing changes if the removals differ')
    .action(withContext(apply));
  schedule.command('list').description("this config's Schedules: when, paused, next and last run").action(withContext(list, { listing: true }));
  schedule
    .command('trigger')
    .description('start a Schedule\'s workflow now (its overlap policy still applies)')
    .argument('<schedule>', 'schedule id, or <host>/<kind>')
    .option('-w, --wait', 'wait for the run and print its summary; exit 1 if a disk failed, the host was unreachable or a check failed')
    .action(withContext(trigger));
  for (const verb of ['pause', 'unpause'] as const) {
    schedule
      .command(verb)
      .description(verb === 'pause' ? 'stop a Schedule from starting runs (a running one goes on)' : 'let a paused Schedule start runs again')
      .argument('<schedule>', 'schedule id, or <host>/<kind>')
      .option('--note <text>', 'why: shown in `schedule list` and the Web UI')
      .action(withContext((ctx, id: string, options: { note?: string }) => setPaused(ctx, id, verb === 'pause', options.note)));
  }
}

type ApplyChange = { scheduleId: string; change: 'create' | 'update' | 'unchanged' | 'remove'; when: string };

/** The plan "host" of `schedule apply`: its removals are the config's, not one backup host's. */
const SCHEDULES_PLAN = 'schedules';

async function apply(ctx: CliContext, options: ConsentOptions): Promise<number> {
  if (options.dryRun && options.yes) throw new InvalidInputError('--dry-run and --yes exclude each other; nothing was changed');
  const client = await ctx.temporal();
  // Changing Schedules starts no workflow, so the config guard is called here: never by a config the workers do not run.
  if (!options.dryRun) await ctx.assertWorkersRunThisConfig('schedule apply');
  const desired = desiredSchedules(ctx.config);
  const existing = await ourSchedules(client, ctx);
  const changes: ApplyChange[] = desired.map((want) => {
    const have = existing.get(want.scheduleId);
    const change = !have ? 'create' : have.action.memo?.[FINGERPRINT] === want.fingerprint ? 'unchanged' : 'update';
    return { scheduleId: want.scheduleId, change, when: describeScheduleTime(want) };
  });
  const removals = [...existing.keys()].filter((id) => !desired.some((d) => d.scheduleId === id));
  changes.push(...removals.map((scheduleId) => ({ scheduleId, change: 'remove' as const, when: '-' })));
  const plan = removals.length ? formatPlanToken([{ host: SCHEDULES_PLAN, planDigest: planDigest('schedules', SCHEDULES_PLAN, removals) }]) : undefined;
  // Creating and updating is what the config asks; removing a Schedule stops backups, so it is confirmed first, before anything changes.
  if (removals.length && !options.dryRun) await confirmRemovals(options, removals, plan!);
  if (!options.dryRun) {
    for (const c of changes) {
      const want = desired.find((d) => d.scheduleId === c.scheduleId);
      const spec = want && scheduleOptions(ctx, want);
      if (c.change === 'create') await client.schedule.create(spec!);
      else if (c.change === 'update') await client.schedule.getHandle(c.scheduleId).update((prev) => ({ ...prev, spec: spec!.spec, action: spec!.action, policies: spec!.policies }));
      else if (c.change === 'remove') await client.schedule.getHandle(c.scheduleId).delete();
    }
  }
  if (ctx.output === 'json') console.log(JSON.stringify({ dryRun: Boolean(options.dryRun), ...(options.dryRun && plan ? { plan } : {}), changes }, null, 2));
  else {
    console.log(renderTable(changes, [{ header: 'SCHEDULE', value: (c) => c.scheduleId }, { header: options.dryRun ? 'WOULD' : 'DONE', value: (c) => c.change }, { header: 'WHEN', value: (c) => c.when }]));
    if (changes.length === 0) console.error('the config names no schedule (hosts[].schedule) and none exists');
    if (options.dryRun && plan) console.log(`to carry out this plan: ${confirmLine([{ host: SCHEDULES_PLAN, planDigest: plan.split(':')[1]! }])}`);
  }
  return EXIT.ok;
}

/** Refuses (nothing changed) unless the operator confirmed exactly these removals, with --yes --plan or on a terminal. */
async function confirmRemovals(options: ConsentOptions, removals: string[], plan: string): Promise<void> {
  const consent = consentOf(options, { command: 'schedule apply', action: `removes ${removals.length} Schedule(s) the config no longer names`, planRequired: true });
  if (consent.kind === 'ask') await askOnTerminal({ label: 'yes', expected: 'yes', plan: removals.map((id) => `remove Schedule ${id} (its runs stop)`) });
  else if (consent.kind === 'confirmed' && formatPlanToken([{ host: SCHEDULES_PLAN, planDigest: consent.plans?.get(SCHEDULES_PLAN) ?? 'none' }]) !== plan) {
    throw new PlanChangedError(
      `schedule apply: the plan changed since it was shown (it would now remove ${removals.join(', ')}: plan ${plan}); nothing was changed`,
      'Run `vmbackup schedule apply --dry-run` again, check it, and confirm the new plan.',
    );
  }
}

function scheduleOptions(ctx: CliContext, want: DesiredSchedule): ScheduleOptions {
  const policy = ctx.config.schedules;
  return {
    scheduleId: want.scheduleId,
    spec: { calendars: [{ hour: want.hour, minute: want.minute, ...(want.dayOfWeek ? { dayOfWeek: want.dayOfWeek } : {}) }], timezone: want.timeZone },
    action: {
      type: 'startWorkflow',
      workflowType: want.workflowType,
      workflowId: want.workflowId,
      taskQueue: ctx.config.temporal.task_queue,
      args: want.args,
      typedSearchAttributes: want.searchAttributes,
      staticSummary: want.staticSummary,
      staticDetails: want.staticDetails,
      workflowExecutionTimeout: want.runLimit,
      memo: { [FINGERPRINT]: want.fingerprint },
    },
    policies: {
      // A night still running when the next is due: the next one is skipped, never doubled.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: `${policy.catchup_window_minutes}m`,
      pauseOnFailure: policy.pause_on_failure,
    },
  };
}

/** Every Schedule of this config (by id prefix), described. */
async function ourSchedules(client: Client, ctx: CliContext): Promise<Map<string, ScheduleDescription>> {
  const prefix = schedulePrefix(ctx.config);
  const found = new Map<string, ScheduleDescription>();
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith(prefix)) found.set(s.scheduleId, await client.schedule.getHandle(s.scheduleId).describe());
  }
  return found;
}

async function list(ctx: CliContext): Promise<number> {
  const client = await ctx.temporal();
  const rows = [...(await ourSchedules(client, ctx)).values()]
    .sort((a, b) => a.scheduleId.localeCompare(b.scheduleId))
    .map((d) => {
      const calendar = d.spec.calendars?.[0];
      const last = d.info.recentActions.at(-1);
      return {
        scheduleId: d.scheduleId,
        when: calendar ? describeScheduleTime({ hour: calendar.hour?.[0]?.start ?? 0, minute: calendar.minute?.[0]?.start ?? 0, dayOfWeek: weeklyDay(calendar.dayOfWeek), timeZone: d.spec.timezone ?? 'UTC' }) : '-',
        paused: d.state.paused,
        note: d.state.note,
        nextRun: d.info.nextActionTimes[0]?.toISOString(),
        lastRun: last?.takenAt.toISOString(),
        lastWorkflowId: last?.action.workflow.workflowId,
        running: d.info.runningActions.length,
      };
    });
  ctx.list({
    rows,
    document: rows,
    fields: [
      { header: 'SCHEDULE', value: (r) => r.scheduleId },
      { header: 'WHEN', value: (r) => r.when },
      { header: 'PAUSED', value: (r) => (r.paused ? `yes${r.note ? ` (${r.note})` : ''}` : 'no'), raw: (r) => r.paused },
      { header: 'NOTE', value: (r) => r.note, onRequest: true },
      { header: 'NEXT RUN (UTC)', name: 'next-run', value: (r) => r.nextRun && formatDate(r.nextRun), raw: (r) => r.nextRun },
      { header: 'LAST RUN (UTC)', name: 'last-run', value: (r) => r.lastRun && formatDate(r.lastRun), raw: (r) => r.lastRun },
      { header: 'LAST WORKFLOW', value: (r) => r.lastWorkflowId, onRequest: true },
      { header: 'RUNNING', value: (r) => r.running, align: 'right' },
    ],
  });
  if (rows.length === 0) console.error('no Schedules yet: run `vmbackup schedule apply`');
  return EXIT.ok;
}

/** Checks the id before connecting anywhere, then finds the Schedule. */
async function resolveSchedule(ctx: CliContext, id: string) {
  const prefix = schedulePrefix(ctx.config);
  const scheduleId = id.startsWith(prefix) ? id : `${prefix}${id}`;
  if (!/^[a-z0-9.-]+\/[a-z0-9-]+\/(vms|volumes|images|purge|verify|drill)$/.test(scheduleId)) {
    throw new InvalidInputError(`'${id}' is not a schedule id: expected <host>/<vms|volumes|images|purge|verify|drill> or ${prefix}<host>/<kind>`);
  }
  const client = await ctx.temporal();
  const handle = client.schedule.getHandle(scheduleId);
  try {
    return { client, handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new UnknownScheduleError(`no schedule ${scheduleId}`, 'List them with `vmbackup schedule list`; create them with `vmbackup schedule apply`.');
    }
    throw err;
  }
}

async function trigger(ctx: CliContext, id: string, options: { wait?: boolean }): Promise<number> {
  const { client, handle, description } = await resolveSchedule(ctx, id);
  const before = new Set(description.info.recentActions.map((a) => a.action.workflow.workflowId));
  await handle.trigger();
  // The Schedule starts the workflow asynchronously; its description shows it within a second or two.
  let workflowId: string | undefined;
  for (let i = 0; i < 60 && !workflowId; i++) {
    const d = await handle.describe();
    workflowId = [...d.info.runningActions, ...d.info.recentActions.map((a) => a.action)].map((a) => a.workflow.workflowId).find((w) => !before.has(w));
    if (!workflowId) await sleep(500);
  }
  if (!workflowId) throw new VmbackupError(`schedule ${handle.scheduleId} did not start a run (is it paused, or a run still going? overlap policy skip)`, 'Check `vmbackup schedule list`.');
  ctx.announce(`run of Schedule ${handle.scheduleId}`, workflowId);
  if (!options.wait) {
    if (ctx.output === 'json') console.log(JSON.stringify({ scheduleId: handle.scheduleId, workflowId }, null, 2));
    return EXIT.ok;
  }
  const run = client.workflow.getHandle(workflowId);
  const reconnect = { temporal: ctx.config.temporal, reconnectSeconds: ctx.reconnectSeconds, what: 'scheduled run' };
  // A night answers its progress query (disks done, running, failed); a purge, verify or drill shows what it runs now.
  const progress = /\/(vms|volumes|images)$/.test(handle.scheduleId) ? () => nightProgress(run) : () => describeRunning(run);
  const result = (await withProgressLine(awaitResult(run, reconnect), ctx.showProgress, 2000, progress)) as unknown;
  if (ctx.output === 'json') console.log(JSON.stringify({ scheduleId: handle.scheduleId, workflowId, result }, null, 2));
  else if (isNightlySummary(result)) console.log(renderNightlySummary(result, workflowId));
  else if (isVerifySummary(result) || isDrillSummary(result)) console.log(renderCheckSummary(result, workflowId));
  else console.log(JSON.stringify(result, null, 2));
  // As run-nightly: a night whose host never answered did nothing, and a script must not read that as done.
  const failed = isNightlySummary(result)
    ? result.counts.failed > 0 || result.unreachable
    : isVerifySummary(result) || isDrillSummary(result)
      ? checkFailed(result)
      : false;
  return failed ? EXIT.failed : EXIT.ok;
}

function isNightlySummary(r: unknown): r is NightlySummary {
  return typeof r === 'object' && r !== null && 'counts' in r && 'skippedByCode' in r;
}

async function setPaused(ctx: CliContext, id: string, paused: boolean, note?: string): Promise<number> {
  const { handle } = await resolveSchedule(ctx, id);
  const text = note ?? `${paused ? 'paused' : 'unpaused'} with vmbackup by ${process.env.USER ?? 'unknown'}`;
  if (paused) await handle.pause(text);
  else await handle.unpause(text);
  if (ctx.output === 'json') console.log(JSON.stringify({ scheduleId: handle.scheduleId, paused, note: text }, null, 2));
  else console.log(`${handle.scheduleId}: ${paused ? 'paused' : 'unpaused'} (${text})`);
  return EXIT.ok;
}

/** The one weekday of a weekly calendar as Temporal describes it back; undefined for every day. */
function weeklyDay(ranges: ReadonlyArray<{ start: unknown; end?: unknown }> | undefined): Weekday | undefined {
  const only = ranges?.length === 1 ? ranges[0]! : undefined;
  if (!only || (only.end !== undefined && only.end !== only.start)) return undefined;
  return WEEKDAYS.find((d) => d === only.start);
}
