// `vmbackup snapshots dangling|purge`: this system's snapshots that no valid
// backup version was made from (a backup that failed after its snapshot, or a
// version removed since). Each host looks at its own snapshots (the `_<host>`
// suffix) against its own store, in a danglingSnapshots workflow on its queue.
import { type Command, Option } from 'commander';
import { InvalidInputError } from '../../lib/errors.ts';
import type { Workload } from '../../lib/naming.ts';
import type { DanglingSnapshot, DanglingSnapshotsResult } from '../../lib/operations/dangling-snapshots.ts';
import type { danglingSnapshots } from '../../workflows/dangling-snapshots.ts';
import { CliContext, type GlobalOptions } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { renderTable } from '../output/table.ts';
import { executeHostWorkflow, idStamp, runPerHost } from '../per-host.ts';

interface SnapshotsOptions {
  host?: string;
  workload?: Workload;
  dryRun?: boolean;
}

type Mode = 'list' | 'plan' | 'purge';

const WORKLOAD_OPTION = () =>
  new Option('--workload <kind>', 'only the disks of this workload (default: every configured one)').choices(['vms', 'volumes', 'images']);

export function registerSnapshots(program: Command): void {
  const snapshots = program
    .command('snapshots')
    .description("this system's snapshots that no valid backup was made from (dangling)");
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
  vmbackup snapshots dangling --host backup1 --workload vms -o json`,
    )
    .action((options: SnapshotsOptions, command: Command) => run(command, options, 'list'));
  snapshots
    .command('purge')
    .description('remove dangling snapshots (never protected ones, nor those of a disk being backed up)')
    .option('--host <name>', 'only this backup host')
    .addOption(WORKLOAD_OPTION())
    .option('-n, --dry-run', 'show what would be removed, remove nothing')
    .addHelpText(
      'after',
      `
Snapshots without a host suffix (made by someone else) are never touched.

Examples:
  vmbackup snapshots purge --dry-run
  vmbackup snapshots purge --host backup1`,
    )
    .action((options: SnapshotsOptions, command: Command) => run(command, options, options.dryRun ? 'plan' : 'purge'));
}

async function run(command: Command, options: SnapshotsOptions, mode: Mode): Promise<void> {
  const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
  try {
    await runSnapshots(ctx, options, mode);
  } finally {
    await ctx.close();
  }
}

async function runSnapshots(ctx: CliContext, options: SnapshotsOptions, mode: Mode): Promise<void> {
  const w = ctx.config.workloads;
  const targets = (['vms', 'volumes', 'images'] as const)
    .filter((k) => options.workload === undefined || k === options.workload)
    .flatMap((workload) => (w[workload] ? [{ workload, pool: w[workload].pool }] : []));
  if (targets.length === 0) throw new InvalidInputError(`workloads.${options.workload} is not configured in ${ctx.config.source}`);
  const client = await ctx.temporal();
  const stamp = idStamp();
  const { results, errors } = await runPerHost(ctx, client, options.host, (host) =>
    executeHostWorkflow<typeof danglingSnapshots>(ctx, client, {
      workflowType: 'danglingSnapshots',
      idPrefix: `snapshots-${mode === 'list' ? 'dangling' : 'purge'}`,
      host,
      stamp,
      dryRun: mode === 'plan',
      operation: mode,
      input: { host, targets, purge: mode === 'purge' },
    }),
  );
  if (ctx.output === 'json') {
    console.log(JSON.stringify({ dryRun: mode === 'plan', hosts: results, errors }, null, 2));
  } else {
    printTable(results, mode);
  }
  for (const e of errors) console.error(`warning: host ${e.host} was not checked: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}

function printTable(results: DanglingSnapshotsResult[], mode: Mode): void {
  const rows = results.flatMap((r) => r.snapshots.map((s) => ({ host: r.host, ...s })));
  if (rows.length === 0) {
    console.log('no dangling snapshots');
    return;
  }
  console.log(
    renderTable(rows, [
      { header: 'HOST', value: (r) => r.host },
      { header: 'POOL', value: (r) => r.pool },
      { header: 'IMAGE', value: (r) => r.image },
      { header: 'SNAPSHOT', value: (r) => r.snapshot },
      { header: mode === 'list' ? 'STATE' : 'OUTCOME', value: (r) => outcome(r, mode) },
    ]),
  );
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
