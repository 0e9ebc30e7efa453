// `vmbackup backup VM`: starts (or attaches to) today's backupInstance workflow.
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { hostConfig } from '../../lib/config/load.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { backupPlacement } from '../../lib/fleet/placement.ts';
import { utcDay, type Workload, workloadImage } from '../../lib/naming.ts';
import { type BackupInstanceInput, type BackupResult } from '../../lib/operations/backup.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { workflowUrl } from '../../lib/temporal/connection.ts';
import type { backupInstance } from '../../workflows/backup-instance.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { idStamp } from '../workflow-id.ts';
import { assertDiskIdle } from '../disk-busy.ts';
import { diskLabel, resolveDiskArg } from '../resolve-disk.ts';
import { formatBytes, formatDuration } from '../output/format.ts';
import { renderTable } from '../output/table.ts';
import { followProgress } from '../watch-progress.ts';

interface BackupOptions {
  workload?: string;
  host?: string;
  project?: string;
  wait?: boolean;
  again?: boolean;
  dryRun?: boolean;
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description("back up one VM's disk (incremental when an earlier backup allows it)")
    .argument('<vm>', 'VM id or name (the disk is <pool>/<vm-id>_disk)')
    .addOption(new Option('--workload <kind>', 'what the id names: a VM (its root disk), a Cinder volume or a Glance image').choices(['vms', 'volumes', 'images']).default('vms'))
    .option('--host <name>', "backup host whose store keeps the version (default: the one project_assignments gives the VM's project)")
    .option('--project <name>', "project of the VM, recorded for search (default: the inventory's)")
    .option('-w, --wait', 'wait for the result, showing progress')
    .option('--again', "start another backup even if today's already ran")
    .option('-n, --dry-run', 'show what would be done, change nothing')
    .addHelpText(
      'after',
      `
The VM is named by id or by name (looked up in the inventory; a name several
VMs carry is refused with their ids). Its project comes from the inventory, its
host from project_assignments; --host overrides, with a warning when it is not
the assigned host.

One backup per VM and day: a second start attaches to the first (workflow id
backup/<vm>/<YYYY-mm-dd>, UTC); --again starts another one.

Examples:
  vmbackup backup web01 --wait
  vmbackup backup 3f1c…-…-…  --dry-run
  vmbackup backup web01 --host backup2 --wait`,
    )
    .action(withContext((ctx, vm: string, options: BackupOptions) => runBackup(ctx, vm, options)));
}

async function runBackup(ctx: CliContext, vm: string, options: BackupOptions): Promise<void> {
  const workload = (options.workload ?? 'vms') as Workload;
  const workloadConfig = ctx.config.workloads[workload];
  if (!workloadConfig) throw new InvalidInputError(`${ctx.config.source}: workloads.${workload} is not configured`);
  if (options.host !== undefined) hostConfig(ctx.config, options.host);
  // The disk must be in the inventory: it gives the project, the project its host.
  const disk = await resolveDiskArg(ctx, vm, workload, { allowUnlisted: false });
  const placement = backupPlacement(ctx.config, disk, { host: options.host, project: options.project });
  for (const w of placement.warnings) console.error(`warning: ${w}`);
  const host = hostConfig(ctx.config, placement.host);
  const input: BackupInstanceInput = {
    vmId: disk.id,
    workload,
    image: workloadImage(workload, disk.id),
    pool: workloadConfig.pool,
    host: host.name,
    project: placement.project,
    liveForDays: workloadConfig.live_for_days,
    dryRun: Boolean(options.dryRun),
  };
  const now = new Date();
  const stamp = idStamp(now);
  // VM disks keep the plain `backup/<vm>/<day>`; volumes and images say which they are.
  const subject = workload === 'vms' ? disk.id : `${workload}/${disk.id}`;
  const workflowId = options.dryRun
    ? `backup-plan/${subject}/${stamp}`
    : options.again
      ? `backup/${subject}/${utcDay(now)}/${stamp}`
      : `backup/${subject}/${utcDay(now)}`;

  const client = await ctx.temporal();
  if (!options.dryRun) await assertDiskIdle(client, disk.id, ['restore']);
  let handle = client.workflow.getHandle<typeof backupInstance>(workflowId);
  let runId = await existingRun(handle);
  const attached = runId !== undefined;
  if (!attached) {
    try {
      const started = await client.workflow.start<typeof backupInstance>('backupInstance', {
        taskQueue: hostTaskQueue(ctx.config.temporal.task_queue, host.name),
        workflowId,
        args: [input],
        typedSearchAttributes: diskOperationAttributes({ operation: options.dryRun ? 'plan' : 'backup', vmId: disk.id, vmName: disk.name || undefined, host: host.name, project: placement.project, workload }),
        // Two operators starting the same VM's backup at once still get one run:
        // the later start joins the running one; only a failed run may be redone.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
      handle = started;
      runId = started.firstExecutionRunId;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  const url = workflowUrl(ctx.config.temporal, workflowId);
  if (attached) console.error(`VM ${diskLabel(disk)} already has today's backup workflow ${workflowId}; attached to it (use --again for another)\nhistory: ${url}`);
  else ctx.announce(`${options.dryRun ? 'dry run of ' : ''}backup of VM ${diskLabel(disk)} on ${host.name}`, workflowId);
  if (!options.wait && !options.dryRun) {
    if (ctx.output === 'json') console.log(JSON.stringify({ workflowId, runId, attached, url }, null, 2));
    return;
  }
  const result = await followProgress(handle, ctx.showProgress, { temporal: ctx.config.temporal, reconnectSeconds: ctx.reconnectSeconds, what: 'backup' });
  printResult(ctx, result, { workflowId, url, attached });
}

/** The run id of today's backup when it is running or has completed (then it is joined, not redone). */
async function existingRun(handle: WorkflowHandle): Promise<string | undefined> {
  try {
    const d = await handle.describe();
    return d.status.name === 'RUNNING' || d.status.name === 'COMPLETED' ? d.runId : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

function printResult(ctx: CliContext, r: BackupResult, meta: { workflowId: string; url: string; attached: boolean }): void {
  if (ctx.output === 'json') {
    console.log(JSON.stringify({ ...meta, ...r }, null, 2));
    return;
  }
  const rows: Array<[string, string]> = r.dryRun
    ? [
        ['would back up', `${r.plan.image}@${r.plan.snapshot}`],
        ['kind', `${r.plan.kind} (${r.plan.reason})`],
        ['disk size', formatBytes(r.plan.sizeBytes)],
        ['would remove snapshots', r.plan.snapshotsToRemove.join(', ') || 'none'],
      ]
    : [
        ['vm', r.vmId],
        ['version', r.versionUid ?? '-'],
        ['kind', `${r.plan.kind} (${r.plan.reason})`],
        ['snapshot', r.plan.snapshot],
        ['disk size', formatBytes(r.plan.sizeBytes)],
        ['hinted', formatBytes(r.hintedBytes)],
        ['read', formatBytes(r.bytesRead)],
        ['written', formatBytes(r.bytesWritten)],
        ['removed snapshots', r.removedSnapshots.join(', ') || 'none'],
        ['tags', r.tags.join(',')],
        ['expires', r.expiresAt ?? '-'],
        ['took', formatDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt))],
      ];
  console.log(renderTable(rows, [{ header: 'BACKUP', value: (row) => row[0] }, { header: meta.workflowId, value: (row) => row[1] }]));
}
