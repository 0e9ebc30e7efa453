// `vmbackup summary`: what the backup stores hold, from every host's versions:
// logical size, disks, versions, the largest projects and disks, invalid versions.
import type { Command } from 'commander';
import { hostConfig } from '../../lib/config/load.ts';
import { InvalidInputError, VmbackupError } from '../../lib/errors.ts';
import { hostsWithWorkers } from '../../lib/temporal/pollers.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, formatDate } from '../output/format.ts';
import type { Field } from '../output/render.ts';
import { renderTable } from '../output/table.ts';
import { type BackupSummary, summarize } from '../summarize.ts';
import { fetchVersions } from '../versions.ts';

const PROJECT = /^[A-Za-z0-9_.-]{1,200}$/;

export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description('totals of the backup stores: logical size, disks, versions, top projects and disks, invalid versions')
    .option('--project <id>', "only this project's backups (its project_<id> tag; 'unknown' for untagged ones)")
    .option('--host <name>', "only this backup host's store")
    .addHelpText(
      'after',
      `
Sizes are logical: the sum of each version's disk size, as if each were a full
copy. backy2 stores only changed blocks and dedups, so the stores use less
(see \`backy2 stats\` or the data backend's disk usage for that).

Examples:
  vmbackup summary
  vmbackup summary --project 5f1a… --host backup1 -f json`,
    )
    .action(withContext((ctx, options: { project?: string; host?: string }) => runSummary(ctx, options), { listing: true }));
}

async function runSummary(ctx: CliContext, options: { project?: string; host?: string }): Promise<void> {
  if (options.project !== undefined && !PROJECT.test(options.project)) throw new InvalidInputError(`--project '${options.project}': expected letters, digits, ".", "_" or "-"`);
  const host = options.host === undefined ? undefined : hostConfig(ctx.config, options.host).name;
  const client = await ctx.temporal();
  const all = ctx.config.hosts.map((h) => h.name);
  // The listing runs on the shared queue those workers poll: with none, it would wait for ever.
  const live = await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, all);
  if (live.size === 0) throw new VmbackupError('no backup host has a running worker: nothing to ask', 'Start the workers first (scripts/workers.sh start on the local stack).');
  // '*' is no VM id (the VmId rule refuses it), so the listing's VmId attribute reads as "every disk".
  const fetched = await fetchVersions(ctx, '*', undefined);
  const unreachable = fetched.unreachable.filter((u) => host === undefined || u.host === host);
  const summary = summarize(fetched.versions, { project: options.project, host });
  // For scripts, the per-host rows; the table form is the whole summary, the JSON its document.
  ctx.list({
    rows: summary.hosts,
    fields: HOST_FIELDS,
    document: { filter: { project: options.project, host }, ...summary, errors: unreachable },
    report: () => printSummary(summary),
  });
  for (const h of unreachable) console.error(`warning: host ${h.host} did not answer, its store is not counted: ${h.error}`);
  if (unreachable.length) process.exitCode = EXIT.failed;
}

const HOST_FIELDS: Field<BackupSummary['hosts'][number]>[] = [
  { header: 'HOST', value: (h) => h.host },
  { header: 'DISKS', value: (h) => h.disks, align: 'right' },
  { header: 'VERSIONS', value: (h) => h.versions, align: 'right' },
  { header: 'LOGICAL SIZE', value: (h) => formatBytes(h.logicalBytes), raw: (h) => h.logicalBytes, align: 'right' },
];

function printSummary(s: BackupSummary): void {
  const perDisk = s.versionsPerDisk ? `${s.versionsPerDisk.min} / ${s.versionsPerDisk.median} / ${s.versionsPerDisk.max}` : '-';
  const totals: Array<[string, string]> = [
    ['logical size', `${formatBytes(s.logicalBytes)} (sum of version sizes; the stores dedup, so they use less)`],
    ['disks', String(s.disks)],
    ['versions', String(s.versions)],
    ['invalid versions', s.invalidVersions ? `${s.invalidVersions} (vmbackup remove-invalids removes them)` : '0'],
    ['versions per disk', `${perDisk} (min / median / max)`],
  ];
  console.log(renderTable(totals, [{ header: 'SUMMARY', value: (r) => r[0] }, { header: '', value: (r) => r[1] }]));
  if (s.disks === 0) return;
  console.log();
  console.log(
    renderTable(s.hosts, HOST_FIELDS),
  );
  console.log();
  console.log(
    renderTable(s.topProjects, [
      { header: 'TOP PROJECTS', value: (p) => p.project },
      { header: 'DISKS', value: (p) => p.disks, align: 'right' },
      { header: 'VERSIONS', value: (p) => p.versions, align: 'right' },
      { header: 'LOGICAL SIZE', value: (p) => formatBytes(p.logicalBytes), align: 'right' },
    ]),
  );
  console.log();
  console.log(
    renderTable(s.topDisks, [
      { header: 'TOP DISKS', value: (d) => d.name },
      { header: 'PROJECT', value: (d) => d.project },
      { header: 'HOSTS', value: (d) => d.hosts.join(',') },
      { header: 'VERSIONS', value: (d) => d.versions, align: 'right' },
      { header: 'LOGICAL SIZE', value: (d) => formatBytes(d.logicalBytes), align: 'right' },
      { header: 'NEWEST', value: (d) => formatDate(d.newest) },
    ]),
  );
}
