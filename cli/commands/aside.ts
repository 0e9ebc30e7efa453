// `vmbackup aside ls | put-back`: the images restores moved aside. `ls` lists
// the ones whose restore did not complete (a stranded disk: the restore failed
// to put it back, or was killed), with the restore's workflow id and status;
// `put-back` renames one back under its name, moving whatever is there now
// aside (never deleting it).
import type { Command } from 'commander';
import type { AsideImage, PutBackResult } from '../../activities/aside-activities.ts';
import { VmbackupError } from '../../lib/errors.ts';
import { Operation } from '../../lib/search-attributes.ts';
import { hostsWithWorkers } from '../../lib/temporal/pollers.ts';
import type { listAside, putBackAside } from '../../workflows/aside-images.ts';
import { askOnTerminal, consentOf } from '../confirm.ts';
import { withContext } from '../action.ts';
import { followStarted } from '../watch-progress.ts';
import type { CliContext } from '../context.ts';
import { formatDate } from '../output/format.ts';
import { idStamp, lookupId } from '../workflow-id.ts';
import { asidePools } from './purge-aside.ts';

export function registerAside(program: Command): void {
  const aside = program.command('aside').description('images restores moved aside: list the stranded ones, put one back');
  aside
    .command('ls')
    .description('list aside images whose restore did not complete (--all: every aside image)')
    .option('--all', 'also those whose restore completed (purge-aside removes them after keep_aside_days)')
    .action(withContext((ctx, options: { all?: boolean }) => runLs(ctx, Boolean(options.all)), { listing: true }))
  aside
    .command('put-back')
    .description('rename an aside image back under its name; what is there now is moved aside, never deleted')
    .argument('<aside-image>', 'the aside image, <image>.vmbackup-aside-<time> (see `vmbackup aside ls`)')
    .option('-n, --dry-run', 'print the plan, change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      `
Refused (exit 5) while the restore that moved the image aside still runs (cancel
it instead: it puts the disk back itself) or while the image under the name is
open (stop the VM first). The VM is not started: start it when the disk is back.
Off a terminal, --dry-run or --yes is required (exit 2 otherwise, nothing started).
An unknown aside image exits 3.

Example:
  vmbackup aside put-back 3f1c…_disk.vmbackup-aside-20261125T215651 --dry-run`,
    )
    .action(withContext((ctx, image: string, options: { dryRun?: boolean; yes?: boolean }) => runPutBack(ctx, image, options)));
}

/** A backup host with a worker: Ceph is the same from all of them. */
async function anyHost(ctx: CliContext) {
  const client = await ctx.temporal();
  const [host] = await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, ctx.config.hosts.map((h) => h.name));
  if (!host) throw new VmbackupError('no backup host has a running worker', 'Start the workers first.');
  return { client, host };
}

export interface ListedAside extends AsideImage {
  /** The restore workflow's status in Temporal: RUNNING, FAILED, CANCELED, TERMINATED, …, or unknown (none recorded, or gone from Temporal). */
  restoreStatus: string;
}

async function runLs(ctx: CliContext, all: boolean): Promise<void> {
  const { client, host } = await anyHost(ctx);
  const found = await client.workflow.execute<typeof listAside>('listAside', {
    taskQueue: ctx.config.temporal.task_queue,
    workflowId: lookupId('aside-ls'),
    args: [{ host, pools: asidePools(ctx) }],
    typedSearchAttributes: [{ key: Operation, value: 'list' }],
  });
  const rows: ListedAside[] = [];
  for (const a of found.filter((x) => all || !x.completedAt)) {
    const status = a.restoreId ? await client.workflow.getHandle(a.restoreId).describe().then((d) => d.status.name, () => 'unknown') : 'unknown';
    rows.push({ ...a, restoreStatus: status });
  }
  ctx.list({
    rows,
    document: rows,
    empty: all ? 'no aside images' : 'no stranded aside images (every restore that moved one aside completed)',
    fields: [
      { header: 'POOL', value: (x) => x.pool },
      { header: 'ASIDE IMAGE', name: 'image', value: (x) => x.image },
      { header: 'BELONGS TO', value: (x) => x.belongsTo },
      { header: 'MOVED ASIDE', value: (x) => formatDate(x.asideAt), raw: (x) => x.asideAt },
      { header: 'RESTORE', value: (x) => x.restoreId ?? (x.putBackOf ? `(moved out by put-back of ${x.putBackOf})` : '-'), raw: (x) => x.restoreId },
      { header: 'STATUS', value: (x) => (x.completedAt ? `completed ${formatDate(x.completedAt)}` : x.restoreStatus) },
    ],
  });
}

async function runPutBack(ctx: CliContext, aside: string, options: { dryRun?: boolean; yes?: boolean }): Promise<void> {
  const consent = consentOf(options, { command: 'aside put-back', action: 'renames disks' });
  const { client, host } = await anyHost(ctx);
  const stamp = idStamp();
  const run = async (dryRun: boolean) => {
    const handle = await client.workflow.start<typeof putBackAside>('putBackAside', {
      taskQueue: ctx.config.temporal.task_queue,
      workflowId: `aside-put-back/${stamp}${dryRun ? '/dry-run' : ''}`,
      args: [{ host, pools: asidePools(ctx), aside, now: new Date().toISOString(), dryRun }],
      typedSearchAttributes: [{ key: Operation, value: dryRun ? 'plan' : 'restore' }],
    });
    return followStarted(ctx, `${dryRun ? 'plan of a ' : ''}put-back of ${aside}`, handle);
  };
  if (consent.kind !== 'confirmed') {
    const plan = await run(true);
    if (consent.kind === 'dry-run') return printPutBack(ctx, plan);
    await askOnTerminal({ plan: plan.plan, label: 'the image name', expected: plan.image });
  }
  printPutBack(ctx, await run(false));
}

function printPutBack(ctx: CliContext, r: PutBackResult): void {
  if (ctx.output === 'json') {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  console.log(r.dryRun ? `Putting back ${r.pool}/${r.aside} would:` : `Put back ${r.pool}/${r.aside} as ${r.image}:`);
  r.plan.forEach((step, i) => console.log(`  ${i + 1}. ${step}`));
  if (!r.dryRun) console.log(`${r.displacedTo ? `The image that was there is kept as ${r.displacedTo}. ` : ''}Start the VM when you are ready.`);
}
