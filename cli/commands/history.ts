// `vmbackup history VM`: the audit trail of one disk. Every operation that
// acted on it (backups, restores, rescues, their dry runs), newest first, with
// who started it, how it ended and its Web UI link; and the purges that removed
// its versions.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { InvalidInputError } from '../../lib/errors.ts';
import { type Workload, workloadImage } from '../../lib/naming.ts';
import type { PurgeExpiredResult } from '../../lib/operations/purge.ts';
import { BackupHost, Operation, Outcome, StartedBy } from '../../lib/search-attributes.ts';
import { workflowUrl } from '../../lib/temporal/connection.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { formatDate } from '../output/format.ts';
import { diskLabel, resolveDiskArg } from '../resolve-disk.ts';

/**
 * Completed purges whose results are read for the disk's removed versions.
 * A purge is one run per host over thousands of disks, so it cannot carry each
 * disk's VmId (one purge under every disk's search, and keyword lists the server
 * bounds); its result names every version it removed. Reading the newest ones
 * finds the purges of a disk without tagging them: 60 covers a month of nightly
 * purges on two hosts, and older versions are long expired anyway.
 */
const PURGES_SCANNED = 60;
/** Describes (for the summary) and purge results fetched at once. */
const AT_ONCE = 8;

export interface HistoryEntry {
  when: string;
  operation: string;
  summary: string | undefined;
  startedBy: string | undefined;
  /** The Outcome attribute, else the workflow's status (running, failed, …). */
  outcome: string;
  host: string | undefined;
  workflowId: string;
  runId: string;
  url: string;
}

interface HistoryOptions {
  workload: Workload;
  limit: string;
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('every operation on a VM\'s disk, newest first: when, what, who started it, how it ended')
    .argument('<vm>', 'VM id or name (or a volume or image with --workload); a deleted VM by its id')
    .addOption(new Option('--workload <kind>', 'what the id names').choices(['vms', 'volumes', 'images']).default('vms'))
    .option('--limit <n>', 'at most this many operations', '20')
    .addHelpText(
      'after',
      `
Backups, restores, rescues and dry runs come from the disk's VmId search
attribute; purges from the results of the hosts' ${PURGES_SCANNED} newest purges (a purge
lists the versions it removed). Read-only look-ups (ls, where) are not listed.

Examples:
  vmbackup history 3f1c…-…-…
  vmbackup history 3f1c…-…-… --limit 100 -f json
  vmbackup history 3f1c…-…-… -f value -c when -c who -c outcome`,
    )
    .action(withContext((ctx, vm: string, options: HistoryOptions) => runHistory(ctx, vm, options), { listing: true }));
}

async function runHistory(ctx: CliContext, arg: string, options: HistoryOptions): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInputError(`--limit '${options.limit}': expected a whole number from 1 to 1000`);
  // By id or name; a VM deleted since keeps its history, so an id the inventory lacks is taken as given.
  const vm = await resolveDiskArg(ctx, arg, options.workload, { allowUnlisted: true });
  const client = await ctx.temporal();
  // The id passed VmId's pattern (letters, digits, . _ -): safe inside the quotes.
  const query = `VmId = "${vm.id}" AND Operation != "list"`;
  const [operations, purges] = await Promise.all([
    listed(ctx, client, query, limit),
    purgesOf(ctx, client, workloadImage(options.workload, vm.id)),
  ]);
  const entries = [...operations, ...purges].sort((a, b) => b.when.localeCompare(a.when)).slice(0, limit);
  ctx.list({
    rows: entries,
    document: { vm: vm.id, name: vm.name || undefined, query, operations: entries },
    empty: `no operations on ${diskLabel(vm)} in Temporal's retention`,
    fields: [
      { header: 'WHEN', value: (e) => formatDate(e.when), raw: (e) => e.when },
      { header: 'OPERATION', value: (e) => e.operation },
      { header: 'WHO', value: (e) => e.startedBy },
      { header: 'OUTCOME', value: (e) => e.outcome },
      { header: 'SUMMARY', value: (e) => e.summary },
      { header: 'LINK', value: (e) => e.url },
      { header: 'HOST', value: (e) => e.host, onRequest: true },
      { header: 'ID', value: (e) => e.workflowId, onRequest: true },
    ],
  });
}

/** The newest `limit` operations the query finds, each with its summary. */
async function listed(ctx: CliContext, client: Client, query: string, limit: number): Promise<HistoryEntry[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    found.push(wf);
    if (found.length >= limit) break;
  }
  return inBatches(found, async (wf) => {
    const d = await client.workflow.getHandle(wf.workflowId, wf.runId).describe();
    return entryOf(ctx, wf, await d.staticSummary());
  });
}

function entryOf(ctx: CliContext, wf: WorkflowExecutionInfo, summary: string | undefined): HistoryEntry {
  const sa = wf.typedSearchAttributes;
  return {
    when: wf.startTime.toISOString(),
    operation: sa.get(Operation) ?? wf.type,
    summary,
    startedBy: sa.get(StartedBy),
    outcome: sa.get(Outcome) ?? wf.status.name.toLowerCase(),
    host: sa.get(BackupHost),
    workflowId: wf.workflowId,
    runId: wf.runId,
    url: workflowUrl(ctx.config.temporal, wf.workflowId, wf.runId),
  };
}

/** The recent purges that removed versions of `image`, one entry each. */
async function purgesOf(ctx: CliContext, client: Client, image: string): Promise<HistoryEntry[]> {
  // Purges run on the config's shared queue (CLI and Schedules alike): another cloud's purges on the same Temporal are not read.
  const query = `WorkflowType = "purgeExpired" AND Operation = "purge" AND ExecutionStatus = "Completed" AND TaskQueue = "${ctx.config.temporal.task_queue}"`;
  const found: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query, pageSize: PURGES_SCANNED })) {
    found.push(wf);
    if (found.length >= PURGES_SCANNED) break;
  }
  const entries = await inBatches(found, async (wf) => {
    const result = (await client.workflow.getHandle(wf.workflowId, wf.runId).result()) as PurgeExpiredResult;
    const removed = result.removed.filter((v) => v.name === image);
    if (removed.length === 0) return undefined;
    return entryOf(ctx, wf, `purge removed ${removed.length} version(s) of ${image}: ${removed.map((v) => v.uid).join(', ')}`);
  });
  return entries.filter((e) => e !== undefined);
}

async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += AT_ONCE) out.push(...(await Promise.all(items.slice(i, i + AT_ONCE).map(fn))));
  return out;
}
