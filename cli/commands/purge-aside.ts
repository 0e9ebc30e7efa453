// `vmbackup purge-aside`: removes the images restores moved aside once their
// restore completed and they are older than restore.keep_aside_days, and the
// ones the operator names (--image). An image whose restore did not complete
// is kept: see `vmbackup aside ls` and `vmbackup aside put-back`.
import type { Command } from 'commander';
import type { AsidePurgeResult } from '../../activities/aside-activities.ts';
import { InvalidInputError, UnknownVmError, VmbackupError } from '../../lib/errors.ts';
import { parseTimeSpec, TIME_SPEC_FORMS } from '../../lib/time-spec.ts';
import { Operation } from '../../lib/search-attributes.ts';
import { hostsWithWorkers } from '../../lib/temporal/pollers.ts';
import type { purgeAside } from '../../workflows/purge-aside.ts';
import { askOnTerminal, consentOf } from '../confirm.ts';
import { withContext } from '../action.ts';
import { followStarted } from '../watch-progress.ts';
import type { CliContext } from '../context.ts';
import { formatDate } from '../output/format.ts';
import { idStamp } from '../workflow-id.ts';

interface PurgeAsideOptions {
  dryRun?: boolean;
  yes?: boolean;
  asOf?: string;
  image?: string[];
}

export function registerPurgeAside(program: Command): void {
  program
    .command('purge-aside')
    .description('remove images that completed restores moved aside, once older than restore.keep_aside_days')
    .option('-n, --dry-run', 'list what would be removed, remove nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--as-of <when>', `judge ages as of then instead of now (a later time only with --dry-run, to see what a later purge will remove): ${TIME_SPEC_FORMS}`)
    .option('--image <name>', 'also remove this aside image (repeatable), even if its restore did not complete or it is young', (v: string, all: string[] = []) => [...all, v])
    .addHelpText(
      'after',
      `
An aside image is removed only when the restore that made it completed (the
restore marks it then) and it is older than keep_aside_days, or when you name
it with --image. One whose restore did not complete is the disk as it was
before: it is kept; \`vmbackup aside ls\` lists those and \`vmbackup aside
put-back IMAGE\` puts one back. An image whose restore still runs is never removed.

Off a terminal, --dry-run or --yes is required (exit 2 otherwise, nothing started).`,
    )
    .action(withContext((ctx, options: PurgeAsideOptions) => runPurgeAside(ctx, options), { listing: true }));
}

async function runPurgeAside(ctx: CliContext, options: PurgeAsideOptions): Promise<void> {
  const consent = consentOf(options, { command: 'purge-aside', action: 'removes images restores moved aside' });
  const now = options.asOf === undefined ? new Date() : parseTimeSpec(options.asOf, { option: '--as-of', now: new Date(), day: 'start' });
  if (now.getTime() > Date.now() && consent.kind !== 'dry-run') {
    throw new InvalidInputError(`--as-of ${now.toISOString()} is in the future: only a --dry-run may look ahead; nothing was removed`);
  }
  const client = await ctx.temporal();
  const [host] = await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, ctx.config.hosts.map((h) => h.name));
  if (!host) throw new VmbackupError('no backup host has a running worker', 'Start the workers first.');
  const stamp = idStamp();
  const run = async (dryRun: boolean) => {
    const handle = await client.workflow.start<typeof purgeAside>('purgeAside', {
      taskQueue: ctx.config.temporal.task_queue,
      workflowId: `purge-aside/${stamp}${dryRun ? '/dry-run' : ''}`,
      args: [{ host, pools: asidePools(ctx), keepDays: ctx.config.restore.keep_aside_days, now: now.toISOString(), dryRun, named: options.image ?? [] }],
      typedSearchAttributes: [{ key: Operation, value: dryRun ? 'plan' : 'purge' }],
    });
    return followStarted(ctx, `purge-aside${dryRun ? ' (dry run)' : ''}`, handle, ctx.showProgress && !dryRun);
  };
  // A name that is no aside image is refused before anything is removed.
  if (consent.kind !== 'confirmed' || options.image?.length) {
    const plan = await run(true);
    if (plan.notFound.length) throw new UnknownVmError(`no aside image ${plan.notFound.join(', ')}; nothing was removed`, 'See `vmbackup aside ls --all`.');
    if (consent.kind === 'dry-run') return printResult(ctx, plan, true);
    if (consent.kind === 'ask') {
      printResult(ctx, plan, true);
      await askOnTerminal({ label: 'yes', expected: 'yes', plan: [`remove ${plan.removed.length} aside images`] });
    }
  }
  printResult(ctx, await run(false), false);
}

/** The pools restores move images aside in: every configured workload's. */
export function asidePools(ctx: CliContext): string[] {
  const w = ctx.config.workloads;
  return [...new Set([w.vms.pool, w.volumes?.pool, w.images?.pool].filter((p): p is string => p !== undefined))];
}

function printResult(ctx: CliContext, r: AsidePurgeResult, dryRun: boolean): void {
  ctx.list({
    rows: [...r.removed.map((x) => ({ ...x, outcome: dryRun ? 'would remove' : 'removed' })), ...r.kept.map((x) => ({ ...x, outcome: `kept: ${x.reason}` }))],
    document: { ...r, dryRun },
    empty: 'no moved-aside images',
    fields: [
      { header: 'POOL', value: (x) => x.pool },
      { header: 'IMAGE', value: (x) => x.image },
      { header: 'MOVED ASIDE', value: (x) => formatDate(x.asideAt), raw: (x) => x.asideAt },
      { header: 'OUTCOME', value: (x) => x.outcome },
    ],
  });
}
