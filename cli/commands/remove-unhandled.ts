// `vmbackup remove-unhandled`: removes from each host's store the backups of
// disks that host no longer handles (deleted, or their project moved or
// ignored). Destructive and in bulk, so it is never scheduled and asks for
// --dry-run or --yes --plan every time; each host runs a removeUnhandled workflow on its queue.
import type { Command } from 'commander';
import { InvalidInputError } from '../../lib/errors.ts';
import { ImageName } from '../../lib/naming.ts';
import type { RemoveUnhandledResult } from '../../lib/operations/remove-unhandled.ts';
import type { removeUnhandled } from '../../workflows/remove-unhandled.ts';
import { consentOf } from '../confirm.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes } from '../output/format.ts';
import type { Field } from '../output/render.ts';
import { renderTable } from '../output/table.ts';
import { printPlanned, runPlannedPerHost } from '../planned-per-host.ts';

interface RemoveUnhandledOptions {
  host?: string;
  dryRun?: boolean;
  yes?: boolean;
  plan?: string;
  disk?: string;
  includeLast?: boolean;
}

export function registerRemoveUnhandled(program: Command): void {
  program
    .command('remove-unhandled')
    .description('remove the backups of disks a host no longer handles (deleted, or project moved or ignored)')
    .option('--host <name>', 'only this backup host')
    .option('-n, --dry-run', 'list what would be removed and why, remove nothing; prints the line that confirms this plan')
    .option('-y, --yes', 'remove the versions of the plan given with --plan')
    .option('--plan <token>', 'the plan a dry run printed (<host>:<digest>,…); the run removes nothing if its plan differs')
    .option('--disk <name>', 'only this disk (the version name: <vm>_disk, volume-<id>, <image-id>)')
    .option('--include-last', "with --disk: its last valid version goes too (a moved or ignored project's disk keeps it otherwise)")
    .addHelpText(
      'after',
      `
A disk is unhandled on a host when its VM, volume or image is no longer in the
inventory, or its project is now assigned to another host or ignored (the
nightly job's own rules). Protected versions, disks whose backup runs now, and
disks whose project cannot be told are kept. If the inventory cannot be read,
nothing is removed. A disk of a moved or ignored project keeps its last valid
version unless you name it: --disk NAME --include-last.

Run --dry-run first, read the list, then run the line it prints (--yes --plan
TOKEN). If the plan changed since, nothing is removed. On a terminal, without
--yes, the plan is shown and you are asked.

Examples:
  vmbackup remove-unhandled --host backup1 --dry-run
  vmbackup remove-unhandled --host backup1 --yes --plan backup1:3f2a9c1e04 -f json
  vmbackup remove-unhandled --host backup1 --disk 5e1f…_disk --include-last --dry-run`,
    )
    .action(withContext((ctx, options: RemoveUnhandledOptions) => runRemoveUnhandled(ctx, options), { listing: true }));
}

async function runRemoveUnhandled(ctx: CliContext, options: RemoveUnhandledOptions): Promise<void> {
  const consent = consentOf(options, { command: 'remove-unhandled', action: 'removes backups in bulk', planRequired: true });
  if (options.includeLast && options.disk === undefined) {
    throw new InvalidInputError('--include-last needs --disk NAME: a last valid version goes only for a disk you name; nothing was removed');
  }
  const disk = options.disk === undefined ? undefined : ImageName.safeParse(options.disk);
  if (disk && !disk.success) throw new InvalidInputError(`--disk '${options.disk}' is not a disk name: ${disk.error.issues[0]?.message}`);
  const client = await ctx.temporal();
  const outcome = await runPlannedPerHost<typeof removeUnhandled>(ctx, client, consent, options.host, {
    workflowType: 'removeUnhandled',
    idPrefix: 'remove-unhandled',
    input: (host, confirmedPlan) => ({
      host,
      dryRun: confirmedPlan === undefined,
      ...(disk ? { disk: disk.data, includeLast: Boolean(options.includeLast) } : {}),
      ...(confirmedPlan ? { confirmedPlan } : {}),
    }),
    describe: (results) => `remove ${results.reduce((n, r) => n + r.disks.reduce((m, d) => m + d.versions.length, 0), 0)} versions on ${results.map((r) => r.host).join(', ')}`,
    show: printResults,
  });
  const { results, errors, dryRun } = outcome;
  printPlanned(ctx, outcome, { rows: unhandledRows, show: printResults });
  for (const e of errors) console.error(`warning: host ${e.host}: nothing was removed: ${e.error}`);
  if (errors.length || results.some((r) => r.disks.some((d) => !dryRun && d.removed.length + d.skipped.length < d.versions.length))) process.exitCode = EXIT.failed;
}

function unhandledRows(results: RemoveUnhandledResult[]) {
  const rows = results.flatMap((r) => [
    ...r.disks.map((d) => ({
      host: r.host,
      disk: d.disk,
      reason: d.reason,
      versions: r.dryRun ? d.versions.length : d.removed.length,
      bytes: d.versions.filter((v) => r.dryRun || d.removed.includes(v.uid)).reduce((sum, v) => sum + v.sizeBytes, 0) as number | undefined,
      outcome: outcomeOf(r.dryRun, d),
    })),
    ...r.kept.map((k) => ({ host: r.host, disk: k.disk, reason: k.reason, versions: k.versions, bytes: undefined, outcome: `kept (${k.code})` })),
  ]);
  const fields: Field<(typeof rows)[number]>[] = [
    { header: 'HOST', value: (r) => r.host },
    { header: 'DISK', value: (r) => r.disk },
    { header: 'REASON', value: (r) => r.reason },
    { header: 'VERSIONS', value: (r) => r.versions, align: 'right' },
    { header: 'BYTES', value: (r) => (r.bytes === undefined ? undefined : formatBytes(r.bytes)), raw: (r) => r.bytes, align: 'right' },
    { header: 'OUTCOME', value: (r) => r.outcome },
  ];
  return { rows, fields };
}

function printResults(results: RemoveUnhandledResult[]): void {
  const { rows, fields } = unhandledRows(results);
  if (rows.length > 0) console.log(renderTable(rows, fields));
  for (const r of results) {
    const versions = r.disks.reduce((n, d) => n + (r.dryRun ? d.versions.length : d.removed.length), 0);
    const inventory = r.inventory.map((i) => `${i.disks} ${i.workload}`).join(', ') || 'not needed';
    console.log(
      `${r.host}: ${r.dryRun ? 'would remove' : 'removed'} ${versions} versions of ${r.disks.length} disks (of ${r.versions} versions in the store; inventory, ${r.driver} driver: ${inventory})`,
    );
  }
}

function outcomeOf(dryRun: boolean, d: RemoveUnhandledResult['disks'][number]): string {
  const protectedNote = `${d.protectedKept ? `, ${d.protectedKept} protected kept` : ''}${d.lastValidKept ? ', last valid kept' : ''}`;
  if (dryRun) return `would remove${protectedNote}`;
  const skipped = d.skipped.length ? `, ${d.skipped.length} kept since the plan (protected, or the last valid)` : '';
  return `removed${protectedNote}${skipped}`;
}
