// `vmbackup purge`: removes expired backup versions, one purgeExpired workflow
// per backup host (each store is purged where it lives). A host with no worker
// is named on stderr and skipped, and the exit code says the purge is partial.
import type { Command } from 'commander';
import { InvalidInputError } from '../../lib/errors.ts';
import { liveForDaysOf, type PurgeExpiredResult } from '../../lib/operations/purge.ts';
import type { purgeExpired } from '../../workflows/purge-expired.ts';
import { CliContext, type GlobalOptions } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatDate } from '../output/format.ts';
import { renderTable } from '../output/table.ts';
import { executeHostWorkflow, idStamp, runPerHost } from '../per-host.ts';

interface PurgeOptions {
  host?: string;
  asOf?: string;
  dryRun?: boolean;
}

export function registerPurge(program: Command): void {
  program
    .command('purge')
    .description('remove backup versions past their lifespan, then free their space (backy2 cleanup)')
    .option('--host <name>', 'purge only this backup host (default: every host in the config)')
    .option('--as-of <time>', 'judge ages and expiries as of this time (ISO 8601, UTC) instead of now')
    .option('-n, --dry-run', 'list what would be removed and why, remove nothing')
    .addHelpText(
      'after',
      `
A version is removed once its expiry day (its expires_<date> tag, else its date
plus the workload's live_for_days) is over, unless it is protected, it is the
newest valid version of its disk, or it is younger than purge.min_age_days.
Each host's purge first waits for running backups on that host to finish.

Examples:
  vmbackup purge --dry-run
  vmbackup purge --host backup1
  vmbackup purge --host backup1 --as-of 2026-12-24T00:00:00Z --dry-run -o json`,
    )
    .action(async (options: PurgeOptions, command: Command) => {
      const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
      try {
        await runPurge(ctx, options);
      } finally {
        await ctx.close();
      }
    });
}

async function runPurge(ctx: CliContext, options: PurgeOptions): Promise<void> {
  const asOf = options.asOf === undefined ? new Date() : new Date(options.asOf);
  if (Number.isNaN(asOf.getTime())) throw new InvalidInputError(`--as-of '${options.asOf}' is not a date`);
  const { workloads, purge } = ctx.config;
  const client = await ctx.temporal();
  const dryRun = Boolean(options.dryRun);
  const stamp = idStamp(asOf);
  const { results, errors } = await runPerHost(ctx, client, options.host, (host) =>
    executeHostWorkflow<typeof purgeExpired>(ctx, client, {
      workflowType: 'purgeExpired',
      idPrefix: 'purge',
      host,
      stamp,
      dryRun,
      operation: dryRun ? 'plan' : 'purge',
      input: { host, asOf: asOf.toISOString(), minAgeDays: purge.min_age_days, liveForDays: liveForDaysOf(workloads), dryRun },
      sharedQueue: true,
      useExisting: true,
    }),
  );
  if (ctx.output === 'json') console.log(JSON.stringify({ results, errors }, null, 2));
  else printResults(results);
  for (const e of errors) console.error(`warning: host ${e.host} was not purged: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}

function printResults(results: PurgeExpiredResult[]): void {
  const rows = results.flatMap((r) => [
    ...r.removed.map((v) => ({ host: r.host, ...v, outcome: `${r.dryRun ? 'would remove' : 'removed'}: ${v.reason}` })),
    ...r.kept.details.map((v) => ({ host: r.host, ...v, outcome: `kept: ${v.reason}` })),
  ]);
  if (rows.length) {
    console.log(
      renderTable(rows, [
        { header: 'HOST', value: (x) => x.host },
        { header: 'NAME', value: (x) => x.name },
        { header: 'DATE', value: (x) => formatDate(x.date) },
        { header: 'UID', value: (x) => x.uid },
        { header: 'EXPIRES', value: (x) => x.expires },
        { header: 'OUTCOME', value: (x) => x.outcome },
      ]),
    );
  }
  for (const r of results) console.log(summaryLine(r));
}

/** `backup1: removed 3 of 40 versions; kept 37 (2 protected, …); waited for …; cleanup deleted 12 blobs`. */
function summaryLine(r: PurgeExpiredResult): string {
  const reasons = Object.entries(r.kept.byReason).map(([reason, n]) => `${n} ${reason}`);
  const parts = [
    `${r.host}: ${r.dryRun ? 'would remove' : 'removed'} ${r.removed.length} of ${r.versions} versions as of ${formatDate(r.asOf)}`,
    `kept ${r.kept.total}${reasons.length ? ` (${reasons.join(', ')})` : ''}${r.kept.detailsOmitted ? `, ${r.kept.detailsOmitted} not listed` : ''}`,
  ];
  if (r.waitedFor.length) parts.push(`waited ${r.waitedSeconds}s for ${r.waitedFor.join(', ')}`);
  if (r.cleanup) parts.push(r.cleanup.blobsRemoved === undefined ? 'cleanup done' : `cleanup deleted ${r.cleanup.blobsRemoved} blobs`);
  return parts.join('; ');
}
