// `vmbackup remove-unhandled`: removes from each host's store the backups of
// disks that host no longer handles (deleted, or their project moved or
// ignored). Destructive and in bulk, so it is never scheduled and asks for
// --dry-run or --yes every time; each host runs a removeUnhandled workflow on its queue.
import type { Command } from 'commander';
import { InvalidInputError } from '../../lib/errors.ts';
import type { RemoveUnhandledResult } from '../../lib/operations/remove-unhandled.ts';
import type { removeUnhandled } from '../../workflows/remove-unhandled.ts';
import { CliContext, type GlobalOptions } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes } from '../output/format.ts';
import { renderTable } from '../output/table.ts';
import { executeHostWorkflow, idStamp, runPerHost } from '../per-host.ts';

interface RemoveUnhandledOptions {
  host?: string;
  dryRun?: boolean;
  yes?: boolean;
}

export function registerRemoveUnhandled(program: Command): void {
  program
    .command('remove-unhandled')
    .description('remove the backups of disks a host no longer handles (deleted, or project moved or ignored)')
    .option('--host <name>', 'only this backup host')
    .option('-n, --dry-run', 'list what would be removed and why, remove nothing')
    .option('-y, --yes', 'remove them')
    .addHelpText(
      'after',
      `
A disk is unhandled on a host when its VM, volume or image is no longer in the
inventory, or its project is now assigned to another host or ignored (the
nightly job's own rules). Protected versions, disks whose backup runs now, and
disks whose project cannot be told are kept. If the inventory cannot be read,
nothing is removed.

Run --dry-run first, read the list, then the same with --yes.

Examples:
  vmbackup remove-unhandled --host backup1 --dry-run
  vmbackup remove-unhandled --host backup1 --yes -o json`,
    )
    .action(async (options: RemoveUnhandledOptions, command: Command) => {
      const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
      try {
        await runRemoveUnhandled(ctx, options);
      } finally {
        await ctx.close();
      }
    });
}

/** Exactly one of --dry-run and --yes: this removes backups in bulk, so nothing is implied. */
export function removeMode(options: { dryRun?: boolean | undefined; yes?: boolean | undefined }): { dryRun: boolean } {
  if (options.dryRun && options.yes) throw new InvalidInputError('--dry-run and --yes exclude each other; nothing was removed');
  if (!options.dryRun && !options.yes) {
    throw new InvalidInputError(
      'remove-unhandled removes backups in bulk and needs --dry-run or --yes; nothing was removed',
      'Run it with --dry-run first, check the list, then run the same command with --yes.',
    );
  }
  return { dryRun: Boolean(options.dryRun) };
}

async function runRemoveUnhandled(ctx: CliContext, options: RemoveUnhandledOptions): Promise<void> {
  const { dryRun } = removeMode(options);
  const client = await ctx.temporal();
  const stamp = idStamp();
  const { results, errors } = await runPerHost(ctx, client, options.host, (host) =>
    executeHostWorkflow<typeof removeUnhandled>(ctx, client, {
      workflowType: 'removeUnhandled',
      idPrefix: 'remove-unhandled',
      host,
      stamp,
      dryRun,
      operation: dryRun ? 'plan' : 'purge',
      input: { host, dryRun },
    }),
  );
  if (ctx.output === 'json') console.log(JSON.stringify({ dryRun, hosts: results, errors }, null, 2));
  else printResults(results);
  for (const e of errors) console.error(`warning: host ${e.host}: nothing was removed: ${e.error}`);
  if (errors.length || results.some((r) => r.disks.some((d) => !dryRun && d.removed.length + d.skipped.length < d.versions.length))) process.exitCode = EXIT.failed;
}

function printResults(results: RemoveUnhandledResult[]): void {
  const rows = results.flatMap((r) => [
    ...r.disks.map((d) => ({
      host: r.host,
      disk: d.disk,
      reason: d.reason,
      versions: r.dryRun ? d.versions.length : d.removed.length,
      bytes: d.versions.filter((v) => r.dryRun || d.removed.includes(v.uid)).reduce((sum, v) => sum + v.sizeBytes, 0),
      outcome: outcomeOf(r.dryRun, d),
    })),
    ...r.kept.map((k) => ({ host: r.host, disk: k.disk, reason: k.reason, versions: k.versions, bytes: undefined, outcome: `kept (${k.code})` })),
  ]);
  if (rows.length > 0) {
    console.log(
      renderTable(rows, [
        { header: 'HOST', value: (r) => r.host },
        { header: 'DISK', value: (r) => r.disk },
        { header: 'REASON', value: (r) => r.reason },
        { header: 'VERSIONS', value: (r) => r.versions, align: 'right' },
        { header: 'BYTES', value: (r) => (r.bytes === undefined ? undefined : formatBytes(r.bytes)), align: 'right' },
        { header: 'OUTCOME', value: (r) => r.outcome },
      ]),
    );
  }
  for (const r of results) {
    const versions = r.disks.reduce((n, d) => n + (r.dryRun ? d.versions.length : d.removed.length), 0);
    const inventory = r.inventory.map((i) => `${i.disks} ${i.workload}`).join(', ') || 'not needed';
    console.log(
      `${r.host}: ${r.dryRun ? 'would remove' : 'removed'} ${versions} versions of ${r.disks.length} disks (of ${r.versions} versions in the store; inventory, ${r.driver} driver: ${inventory})`,
    );
  }
}

function outcomeOf(dryRun: boolean, d: RemoveUnhandledResult['disks'][number]): string {
  const protectedNote = d.protectedKept ? `, ${d.protectedKept} protected kept` : '';
  if (dryRun) return `would remove${protectedNote}`;
  const skipped = d.skipped.length ? `, ${d.skipped.length} protected since the plan, kept` : '';
  return `removed${protectedNote}${skipped}`;
}
