// `vmbackup purge`: removes expired backup versions, one purgeExpired workflow
// per backup host (each store is purged where it lives). A host with no worker
// is named on stderr and skipped, and the exit code says the purge is partial.
import type { Command } from 'commander';
import { InvalidInputError } from '../../lib/errors.ts';
import { parseTimeSpec, TIME_SPEC_FORMS } from '../../lib/time-spec.ts';
import { keepRulesOf, liveForDaysOf, type PurgeExpiredResult } from '../../lib/operations/purge.ts';
import type { purgeExpired } from '../../workflows/purge-expired.ts';
import { consentOf } from '../confirm.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatDate } from '../output/format.ts';
import type { Field } from '../output/render.ts';
import { renderTable } from '../output/table.ts';
import { idStamp } from '../workflow-id.ts';
import { printPlanned, runPlannedPerHost } from '../planned-per-host.ts';

interface PurgeOptions {
  host?: string;
  asOf?: string;
  dryRun?: boolean;
  yes?: boolean;
  plan?: string;
  disk?: string[];
}

export function registerPurge(program: Command): void {
  program
    .command('purge')
    .description('remove backup versions past their lifespan, then free their space (backy2 cleanup)')
    .option('--host <name>', 'purge only this backup host (default: every host in the config)')
    .option('--as-of <when>', `judge ages and expiries as of then instead of now: ${TIME_SPEC_FORMS}`)
    .option('-n, --dry-run', 'list what would be removed and why, remove nothing; prints the line that confirms this plan')
    .option('-y, --yes', 'remove the versions of the plan given with --plan')
    .option('--plan <token>', 'the plan a dry run printed (<host>:<digest>,…); the run removes nothing if its plan differs')
    .option('--disk <name>', 'with --dry-run: list only this disk (version name, e.g. <vm-id>_disk; repeatable) instead of every disk up to 1000 versions', collect)
    .addHelpText(
      'after',
      `
A version is removed once its expiry day (its expires_<date> tag, else its date
plus the workload's live_for_days) is over, unless it is protected, it is the
newest valid version of its disk, or it is younger than purge.min_age_days.
A workload with keep rules (workloads.<w>.keep: last, daily, weekly, monthly)
is judged by them instead: a valid version goes when no rule keeps it. The dry
run lists, per disk, each version and the rule that keeps it (keep-daily 3/7)
or why it goes.
Each host's purge first waits for running backups on that host to finish.
--as-of later than now is for a dry run only.

Run --dry-run first: it prints the plan and the line that carries it out
(--yes --plan TOKEN). If the store changed since, so that the purge would
remove anything else, it removes nothing and says so. On a terminal, without
--yes, the plan is shown and you are asked.

Examples:
  vmbackup purge --dry-run
  vmbackup purge --host backup1 --dry-run --disk 3f1c…_disk
  vmbackup purge --host backup1 --yes --plan backup1:3f2a9c1e04
  vmbackup purge --host backup1 --as-of 2026-12-24T00:00:00Z --dry-run -f json`,
    )
    .action(withContext((ctx, options: PurgeOptions) => runPurge(ctx, options), { listing: true }));
}

async function runPurge(ctx: CliContext, options: PurgeOptions): Promise<void> {
  const consent = consentOf(options, { command: 'purge', action: 'removes backup versions', planRequired: true });
  const now = new Date();
  const asOf = options.asOf === undefined ? undefined : parseTimeSpec(options.asOf, { option: '--as-of', now, day: 'start' });
  if (asOf && asOf > now && consent.kind !== 'dry-run') {
    throw new InvalidInputError(
      `--as-of ${asOf.toISOString()} is later than now (${now.toISOString()}): a purge removes only what has expired by now; nothing was removed`,
      'Use --as-of with --dry-run to see what a later purge will remove.',
    );
  }
  if (options.disk && consent.kind !== 'dry-run') {
    throw new InvalidInputError('--disk only narrows what a dry run lists; a purge always covers every disk of a host; nothing was removed', 'Use --disk with --dry-run.');
  }
  const { workloads, purge } = ctx.config;
  const client = await ctx.temporal();
  const outcome = await runPlannedPerHost<typeof purgeExpired>(ctx, client, consent, options.host, {
    workflowType: 'purgeExpired',
    idPrefix: 'purge',
    // Without --as-of the workflow judges as of its own start: no clock but Temporal's decides what has expired.
    stamp: () => idStamp(asOf ?? new Date()),
    input: (host, confirmedPlan) => ({
      host,
      ...(asOf ? { asOf: asOf.toISOString() } : {}),
      minAgeDays: purge.min_age_days,
      liveForDays: liveForDaysOf(workloads),
      ...keepRulesOf(workloads),
      ...(confirmedPlan === undefined && options.disk ? { disks: options.disk } : {}),
      dryRun: confirmedPlan === undefined,
      ...(confirmedPlan ? { confirmedPlan } : {}),
    }),
    sharedQueue: true,
    useExisting: true,
    describe: (results) => `remove ${results.reduce((n, r) => n + r.removed.length, 0)} versions on ${results.map((r) => r.host).join(', ')}`,
    show: printResults,
  });
  const { errors } = outcome;
  printPlanned(ctx, outcome, { rows: purgeRows, show: printResults }, 'results');
  for (const e of errors) console.error(`warning: host ${e.host} was not purged: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The removals (and kept versions) beside the per-disk listing of a dry run. */
function outcomeRows(results: PurgeExpiredResult[]) {
  // With a listing (a dry run), only the removals of disks it left out; otherwise as always.
  const listed = (r: PurgeExpiredResult) => new Set(r.listing?.disks.map((d) => d.name));
  return results.flatMap((r) => [
    ...r.removed.filter((v) => !listed(r).has(v.name)).map((v) => ({ host: r.host, ...v, outcome: `${r.dryRun ? 'would remove' : 'removed'}: ${v.reason}` })),
    ...(r.listing ? [] : r.kept.details.map((v) => ({ host: r.host, ...v, outcome: `kept: ${v.rule ?? v.reason}` }))),
  ]);
}

type OutcomeRow = ReturnType<typeof outcomeRows>[number];

const OUTCOME_FIELDS: Field<Pick<OutcomeRow, 'host' | 'name' | 'date' | 'uid' | 'expires' | 'outcome'>>[] = [
  { header: 'HOST', value: (x) => x.host },
  { header: 'NAME', value: (x) => x.name },
  { header: 'DATE', value: (x) => formatDate(x.date), raw: (x) => x.date },
  { header: 'UID', value: (x) => x.uid },
  { header: 'EXPIRES', value: (x) => x.expires },
  { header: 'OUTCOME', value: (x) => x.outcome },
];

/** For scripts, one row per version: the dry run's verdicts and the removals, in one shape. */
function purgeRows(results: PurgeExpiredResult[]) {
  const verdicts = results.flatMap((r) =>
    (r.listing?.disks ?? []).flatMap((d) =>
      d.versions.map((v) => ({ host: r.host, name: d.name, date: v.date, uid: v.uid, expires: undefined, outcome: v.keep !== undefined ? `keep: ${v.keep}` : `remove: ${v.remove}` })),
    ),
  );
  return { rows: [...verdicts, ...outcomeRows(results)], fields: OUTCOME_FIELDS };
}

function printResults(results: PurgeExpiredResult[]): void {
  printListings(results);
  const rows = outcomeRows(results);
  if (rows.length) console.log(renderTable(rows, OUTCOME_FIELDS));
  for (const r of results) console.log(summaryLine(r));
}

/** Per disk, each version (newest first) and what keeps it or why it goes; a blank line between disks. */
function printListings(results: PurgeExpiredResult[]): void {
  for (const r of results) {
    if (!r.listing) continue;
    const rows = r.listing.disks.flatMap((d) => d.versions.map((v) => ({ disk: d.name, ...v })));
    if (rows.length) {
      const table = renderTable(rows, [
        { header: 'HOST', value: () => r.host },
        { header: 'DISK', value: (x) => x.disk },
        { header: 'DATE', value: (x) => formatDate(x.date) },
        { header: 'UID', value: (x) => x.uid },
        { header: 'VERDICT', value: (x) => (x.keep !== undefined ? `keep: ${x.keep}` : `remove: ${x.remove}`) },
      ]).split('\n');
      // Disks apart, so a disk's versions read as one block.
      console.log(table.map((line, i) => (i > 1 && rows[i - 1]!.disk !== rows[i - 2]!.disk ? `\n${line}` : line)).join('\n'));
    }
    if (r.listing.disksOmitted) {
      console.log(`${r.host}: ${r.listing.disksOmitted} more disks (${r.listing.versionsOmitted} versions) not listed; their removals follow; --disk NAME lists one`);
    }
    for (const name of r.listing.notFound) console.log(`${r.host}: no version of ${name} in this store`);
  }
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
