// `vmbackup snapshots dangling|purge`: this system's snapshots that no valid
// backup version was made from (a backup that failed after its snapshot, or a
// version removed since). Each host looks at its own snapshots (the `_<host>`
// suffix) against its own store, in a danglingSnapshots workflow on its queue.
import { type Command, Option } from 'commander';
import { InvalidInputError } from '../../lib/errors.ts';
import type { Workload } from '../../lib/naming.ts';
import type { DanglingSnapshot, DanglingSnapshotsResult } from '../../lib/operations/dangling-snapshots.ts';
import type { danglingSnapshots } from '../../workflows/dangling-snapshots.ts';
import { type Consent, consentOf } from '../confirm.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import type { Rows } from '../output/render.ts';
import { renderTable } from '../output/table.ts';
import { runPlannedPerHost } from '../planned-per-host.ts';
import { addSnapshotsOfVm } from './snapshots-vm.ts';

interface SnapshotsOptions {
  host?: string;
  workload?: Workload;
  dryRun?: boolean;
  yes?: boolean;
  plan?: string;
}

type Mode = 'list' | 'plan' | 'purge';

const WORKLOAD_OPTION = () =>
  new Option('--workload <kind>', 'only the disks of this workload (default: every configured one)').choices(['vms', 'volumes', 'images']);

export function registerSnapshots(program: Command): void {
  const snapshots = program
    .command('snapshots')
    .description("a VM's snapshots with their owner host (--vm), or this system's snapshots that no valid backup was made from (dangling)");
  addSnapshotsOfVm(snapshots);
  snapshots
    .command('dangling')
    .description('list dangling snapshots of every backup host (changes nothing)')
    .option('--host <name>', 'only this backup host')
    .addOption(WORKLOAD_OPTION())
    .addHelpText(
      'after',
      `
A snapshot is looked at only when its name ends in _<host> of a configured host;
it is dangling when that host's store has no valid version made from it.
STATE: dangling (purge removes it), protected (kept), in use (a backup of the
disk runs now and may still make its version; kept).

Examples:
  vmbackup snapshots dangling
  vmbackup snapshots dangling --host backup1 --workload vms -f json`,
    )
    .action(withContext((ctx, options: SnapshotsOptions) => runSnapshots(ctx, options, { kind: 'dry-run' }, 'list'), { listing: true }));
  snapshots
    .command('purge')
    .description('remove dangling snapshots (never protected ones, nor those of a disk being backed up)')
    .option('--host <name>', 'only this backup host')
    .addOption(WORKLOAD_OPTION())
    .option('-n, --dry-run', 'show what would be removed, remove nothing; prints the line that confirms this plan')
    .option('-y, --yes', 'remove the snapshots of the plan given with --plan')
    .option('--plan <token>', 'the plan a dry run printed (<host>:<digest>,…); the run removes nothing if its plan differs')
    .addHelpText(
      'after',
      `
Snapshots without a host suffix (made by someone else) are never touched.

Run --dry-run first: it prints the plan and the line that carries it out
(--yes --plan TOKEN). If another snapshot became dangling since, nothing is
removed. On a terminal, without --yes, the plan is shown and you are asked.

Examples:
  vmbackup snapshots purge --dry-run
  vmbackup snapshots purge --host backup1 --yes --plan backup1:3f2a9c1e04`,
    )
    .action(
      withContext((ctx, options: SnapshotsOptions) => runSnapshots(ctx, options, consentOf(options, { command: 'snapshots purge', action: 'removes snapshots', planRequired: true }), 'purge'), {
        listing: true,
      }),
    );
}

async function runSnapshots(ctx: CliContext, options: SnapshotsOptions, consent: Consent, command: 'list' | 'purge'): Promise<void> {
  const w = ctx.config.workloads;
  const targets = (['vms', 'volumes', 'images'] as const)
    .filter((k) => options.workload === undefined || k === options.workload)
    .flatMap((workload) => (w[workload] ? [{ workload, pool: w[workload].pool }] : []));
  if (targets.length === 0) throw new InvalidInputError(`workloads.${options.workload} is not configured in ${ctx.config.source}`);
  const client = await ctx.temporal();
  const outcome = await runPlannedPerHost<typeof danglingSnapshots>(ctx, client, consent, options.host, {
    workflowType: 'danglingSnapshots',
    idPrefix: `snapshots-${command === 'list' ? 'dangling' : 'purge'}`,
    operation: (dryRun) => (command === 'list' ? 'list' : dryRun ? 'plan' : 'purge'),
    input: (host, confirmedPlan) => ({ host, targets, purge: confirmedPlan !== undefined, ...(confirmedPlan ? { confirmedPlan } : {}) }),
    describe: (results) => `remove ${results.reduce((n, r) => n + r.snapshots.filter((s) => s.state === 'dangling').length, 0)} dangling snapshots on ${results.map((r) => r.host).join(', ')}`,
    show: (results) => printTable(results, 'plan'),
  });
  const { results, errors } = outcome;
  const mode: Mode = command === 'list' ? 'list' : outcome.dryRun ? 'plan' : 'purge';
  ctx.list({
    ...snapshotRows(results, mode),
    document: { dryRun: mode === 'plan', ...(mode === 'plan' ? { plan: outcome.plan } : {}), hosts: results, errors },
    report: () => {
      printTable(results, mode);
      if (mode === 'plan' && outcome.confirm) console.log(`to carry out this plan: ${outcome.confirm}`);
    },
  });
  for (const e of errors) console.error(`warning: host ${e.host} was not checked: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}

function snapshotRows(results: DanglingSnapshotsResult[], mode: Mode): Rows<DanglingSnapshot & { host: string; removed: boolean }> {
  return {
    rows: results.flatMap((r) => r.snapshots.map((s) => ({ host: r.host, ...s }))),
    fields: [
      { header: 'HOST', value: (r) => r.host },
      { header: 'POOL', value: (r) => r.pool },
      { header: 'IMAGE', value: (r) => r.image },
      { header: 'SNAPSHOT', value: (r) => r.snapshot },
      { header: mode === 'list' ? 'STATE' : 'OUTCOME', value: (r) => outcome(r, mode) },
    ],
    empty: 'no dangling snapshots',
  };
}

function printTable(results: DanglingSnapshotsResult[], mode: Mode): void {
  const { rows, fields, empty } = snapshotRows(results, mode);
  console.log(rows.length === 0 ? empty : renderTable(rows, fields));
  const removable = rows.filter((r) => r.state === 'dangling').length;
  if (mode === 'list' && removable) console.log(`\n${removable} can be removed: vmbackup snapshots purge [--dry-run]`);
}

function outcome(s: DanglingSnapshot & { removed: boolean }, mode: Mode): string {
  const kept = s.state === 'protected' ? 'protected' : s.state === 'in-use' ? `in use: ${s.reason}` : undefined;
  if (mode === 'list') return kept ?? 'dangling';
  if (s.removed) return 'removed';
  if (kept) return `kept: ${kept}`;
  return mode === 'plan' ? 'would remove' : 'kept';
}
