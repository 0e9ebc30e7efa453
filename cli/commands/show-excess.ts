// `vmbackup show-excess`: on each backup host, the disks holding more versions
// than their policy allows (what the next purge would remove: a backlog) or
// more than one backup snapshot of that host (a leak of Ceph space). Read only;
// each host computes its own and sends a page (lib/listings/excess.ts).
import type { Command } from 'commander';
import { leftAfter, MAX_PAGE } from '../../lib/listings/page.ts';
import { keepRulesOf, liveForDaysOf } from '../../lib/operations/purge.ts';
import { parseTimeSpec, TIME_SPEC_FORMS } from '../../lib/time-spec.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { listOnHost } from '../host-listing.ts';
import { listWithNotes } from '../listing-notes.ts';
import { formatDate } from '../output/format.ts';
import { parsePaging } from '../paging.ts';
import { runPerHost } from '../per-host.ts';

interface ShowExcessOptions {
  host?: string;
  asOf?: string;
  limit: string;
  offset: string;
}

export function registerShowExcess(program: Command): void {
  program
    .command('show-excess')
    .description('disks holding more versions, or more backup snapshots, than their policy allows (changes nothing)')
    .option('--host <name>', 'only this backup host')
    .option('--as-of <when>', `judge the versions as a purge then would (default: now): ${TIME_SPEC_FORMS}`)
    .option('--limit <n>', `disks shown per host at most (up to ${MAX_PAGE})`, '100')
    .option('--offset <n>', 'disks skipped first on each host (the next page)', '0')
    .addHelpText(
      'after',
      `
EXCESS VERSIONS: versions the purge policy no longer keeps (expired, or beyond
the workload's keep rules), i.e. what the next \`vmbackup purge\` removes; many
means the purge has not run (a paused Schedule, a failing host).
EXCESS SNAPSHOTS: this host's backup snapshots of the disk beyond the one its
next incremental needs; \`vmbackup snapshots dangling\` says which can go.
Most excess first.

Examples:
  vmbackup show-excess
  vmbackup show-excess --host backup1 -f json
  vmbackup show-excess --as-of 2026-12-24 -f value -c disk`,
    )
    .action(withContext((ctx, options: ShowExcessOptions) => runShowExcess(ctx, options), { listing: true }));
}

async function runShowExcess(ctx: CliContext, options: ShowExcessOptions): Promise<void> {
  const { limit, offset } = parsePaging(options);
  // Read as purge reads it (lib/time-spec.ts): the same forms, a day is its first instant.
  const now = new Date();
  const asOf = options.asOf === undefined ? now : parseTimeSpec(options.asOf, { option: '--as-of', now, day: 'start' });
  const { workloads, purge } = ctx.config;
  const targets = (['vms', 'volumes', 'images'] as const).flatMap((workload) => (workloads[workload] ? [{ workload, pool: workloads[workload].pool }] : []));
  const policy = { asOf: asOf.toISOString(), minAgeDays: purge.min_age_days, liveForDays: liveForDaysOf(workloads), ...keepRulesOf(workloads) };
  const { results, errors } = await runPerHost(ctx, await ctx.temporal(), options.host, (host) => listOnHost(ctx, { listing: 'excess', host, targets, policy, limit, offset }));
  results.sort((a, b) => a.host.localeCompare(b.host));
  const rows = results.flatMap((r) => r.page.rows.map((d) => ({ host: r.host, ...d })));
  // What a page left out, per host.
  const notes = results.flatMap((r) => {
    const more = leftAfter(r.page);
    return more ? [`${r.host}: ${r.page.rows.length} of ${r.page.total} disks over their policy shown; ${more} more: --offset ${offset + r.page.rows.length}`] : [];
  });
  listWithNotes(ctx, {
    rows,
    document: { asOf: policy.asOf, hosts: results.map((r) => ({ host: r.host, total: r.page.total, offset, more: leftAfter(r.page), disks: r.page.rows })), errors },
    empty: `no disk over its policy as of ${formatDate(policy.asOf)}`,
    fields: [
      { header: 'HOST', value: (d) => d.host },
      { header: 'DISK', value: (d) => d.image },
      { header: 'WORKLOAD', value: (d) => d.workload },
      { header: 'VERSIONS', value: (d) => d.versions, align: 'right' },
      { header: 'EXCESS VERSIONS', value: (d) => d.excessVersions, align: 'right' },
      { header: 'SNAPSHOTS', value: (d) => d.snapshots, align: 'right' },
      { header: 'EXCESS SNAPSHOTS', value: (d) => d.excessSnapshots, align: 'right' },
    ],
  }, notes);
  for (const e of errors) console.error(`warning: host ${e.host} was not checked: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}
