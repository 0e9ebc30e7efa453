// `vmbackup status`: running and recent operations, from Temporal visibility
// (the search attributes every workflow of this system starts with).
import type { Command } from 'commander';
import { prettifyError } from 'zod';
import { AmbiguousNameError, InvalidInputError, UnknownVmError } from '../../lib/errors.ts';
import { BackupHost, Operation, Project, VmId, Workload } from '../../lib/search-attributes.ts';
import { workflowUrl } from '../../lib/temporal/connection.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { formatDate, formatDuration } from '../output/format.ts';
import { byStatusOrder, StatusFilters, statusQuery } from '../status-query.ts';
import { parseTimeSpec, TIME_SPEC_FORMS } from '../../lib/time-spec.ts';
import { Workload as WorkloadKind } from '../../lib/naming.ts';
import { resolveDiskArg } from '../resolve-disk.ts';

interface StatusOptions {
  host?: string;
  vm?: string;
  project?: string;
  operation?: string;
  workload?: string;
  since: string;
  limit: string;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('running and recent operations (backups, restores, purges, …), running ones first')
    .option('--host <name>', 'only operations of this backup host')
    .option('--vm <id-or-name>', 'only operations of this VM (or volume or image, with --workload)')
    .option('--project <id>', 'only operations of this project')
    .option('--operation <name>', 'only this operation: backup, plan, list, restore, purge, nightly')
    .option('--workload <kind>', 'only this workload: vms, volumes, images')
    .option('--since <when>', `finished operations started since then (running ones are always shown): ${TIME_SPEC_FORMS}`, '24h')
    .option('--limit <n>', 'at most this many rows', '50')
    .addHelpText(
      'after',
      `
The same list in the Web UI: Workflows, filtered by the query printed with -f json.

Examples:
  vmbackup status
  vmbackup status --host backup1 --since 7d --limit 200
  vmbackup status --vm web01 --operation backup -f json`,
    )
    .action(withContext((ctx, options: StatusOptions) => runStatus(ctx, options), { listing: true }));
}

async function resolveFilter(ctx: CliContext, vm: string, workload: WorkloadKind): Promise<string> {
  try {
    return (await resolveDiskArg(ctx, vm, workload, { allowUnlisted: true })).id;
  } catch (err) {
    if (err instanceof UnknownVmError || (err instanceof InvalidInputError && !(err instanceof AmbiguousNameError))) return vm;
    throw err;
  }
}

async function runStatus(ctx: CliContext, options: StatusOptions): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InvalidInputError(`--limit '${options.limit}': expected a whole number from 1 to 10000`);
  const { host, project, operation, workload } = options;
  // A name resolves through the inventory; an id it lacks (a deleted VM's history) is taken as is, and
  // anything else is left to StatusFilters, which refuses what could change the query (exit 2).
  const vm = options.vm === undefined ? undefined : await resolveFilter(ctx, options.vm, WorkloadKind.safeParse(workload).data ?? 'vms');
  const filters = StatusFilters.safeParse({ host, vm, project, operation, workload, since: parseTimeSpec(options.since, { option: '--since', now: new Date(), day: 'start' }) });
  if (!filters.success) throw new InvalidInputError(`invalid filter: ${prettifyError(filters.error)}`);
  const query = statusQuery(filters.data);
  const client = await ctx.temporal();
  const now = Date.now();
  const rows = [];
  // Visibility lists running executions first, then the most recently closed.
  for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    const sa = wf.typedSearchAttributes;
    const startTime = wf.startTime.toISOString();
    rows.push({
      operation: sa.get(Operation),
      workflowId: wf.workflowId,
      runId: wf.runId,
      vm: sa.get(VmId),
      host: sa.get(BackupHost),
      project: sa.get(Project),
      workload: sa.get(Workload),
      status: wf.status.name,
      running: wf.status.name === 'RUNNING',
      startTime,
      closeTime: wf.closeTime?.toISOString(),
      durationMs: (wf.closeTime?.getTime() ?? now) - wf.startTime.getTime(),
      url: workflowUrl(ctx.config.temporal, wf.workflowId, wf.runId),
    });
    if (rows.length >= limit) break;
  }
  rows.sort(byStatusOrder);
  ctx.list({
    rows,
    document: { query, operations: rows },
    empty: `no operations since ${formatDate(filters.data.since.toISOString())}`,
    fields: [
      { header: 'OPERATION', value: (r) => r.operation },
      { header: 'ID', value: (r) => r.workflowId },
      { header: 'VM', value: (r) => r.vm },
      { header: 'HOST', value: (r) => r.host },
      { header: 'PROJECT', value: (r) => r.project, onRequest: true },
      { header: 'STATUS', value: (r) => r.status.toLowerCase() },
      { header: 'STARTED', value: (r) => formatDate(r.startTime), raw: (r) => r.startTime },
      { header: 'DURATION', value: (r) => formatDuration(r.durationMs) + (r.running ? ' so far' : ''), raw: (r) => Math.round(r.durationMs / 1000), align: 'right' },
      { header: 'URL', value: (r) => r.url, onRequest: true },
    ],
  });
}
