// `vmbackup restore VM`: rolls a VM's disk back to a backup version, in place,
// as a restoreInstance workflow on the backup host that holds the version.
import { type Command, Option } from 'commander';
import { InvalidInputError, UnknownVersionError, VmbackupError } from '../../lib/errors.ts';
import { parseTimeSpec, TIME_SPEC_FORMS } from '../../lib/time-spec.ts';
import { VersionUid, VmId, type Workload, workloadImage } from '../../lib/naming.ts';
import { IfBusy } from '../../lib/operations/disk-lock.ts';
import type { RestoreInstanceInput, RestoreResult } from '../../lib/operations/restore.ts';
import type { RestoreProjectInput, RestoreProjectResult } from '../../lib/operations/restore-project.ts';
import { startSummary } from '../../lib/audit/summary.ts';
import { diskOperationAttributes, Operation, Project as ProjectKey } from '../../lib/search-attributes.ts';
import { hostsWithWorkers } from '../../lib/temporal/pollers.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { workflowUrl } from '../../lib/temporal/connection.ts';
import type { restoreInstance } from '../../workflows/restore-instance.ts';
import type { restoreProject } from '../../workflows/restore-project.ts';
import { askOnTerminal, consentOf } from '../confirm.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { idStamp } from '../workflow-id.ts';
import { assertDiskIdle } from '../disk-busy.ts';
import { formatBytes, formatDate, formatDuration } from '../output/format.ts';
import { renderTable } from '../output/table.ts';
import { fetchVersions, type HostVersion } from '../versions.ts';
import { followProgress, followStarted } from '../watch-progress.ts';

interface RestoreOptions {
  version?: string;
  at?: string;
  yes?: boolean;
  dryRun?: boolean;
  project?: string;
  parallel?: string;
  ifBusy?: IfBusy;
}

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description("roll a VM's disk back to a backup version (stop VM, move the disk aside, restore, start VM)")
    .argument('[vm]', 'VM id (the disk is <pool>/<vm>_disk)')
    .option('--project <name>', 'mass restore: every VM of this project (needs compute.driver: openstack)')
    .option('--parallel <n>', 'mass restore: VMs restored at once', '2')
    .option('--version <uid>', 'the version to restore (see `vmbackup ls VM`)')
    .option('--at <when>', AT_HELP)
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-n, --dry-run', 'print the plan, change nothing')
    .addOption(new Option('--if-busy <what>', 'another operation (a backup) holds the disk: refuse (exit 5) or wait until it is done').choices(IfBusy.options).default('refuse'))
    .addHelpText(
      'after',
      `
Without --version or --at, the newest valid version is restored. The current
disk is renamed to <image>.vmbackup-aside-<time> (never deleted) and kept for
restore.keep_aside_days. If any step fails for good, or the restore is
cancelled, the original disk is put back and the VM started again.

The plan is shown first (--dry-run shows only the plan); on a terminal you
confirm by typing the VM id. Off a terminal, --yes is required: without it the
command exits 2 and starts nothing.

With --project, every VM of the project (from the compute service) goes back
to its newest valid version at or before --at, --parallel at a time; one VM's
failure does not stop the others, and the summary names it.

Examples:
  vmbackup restore 3f1c… --at 2026-11-20 --dry-run
  vmbackup restore --project tools --at 2026-11-20 --yes
  vmbackup restore 3f1c… --version 2ac24c4a-e316-11ea-939c-b02628295df0 --yes`,
    )
    .action(
      withContext(async (ctx, vm: string | undefined, options: RestoreOptions) => {
        if ((vm === undefined) === (options.project === undefined)) throw new InvalidInputError('give a VM id or --project, not both and not neither');
        if (options.project !== undefined) await runProjectRestore(ctx, options.project, options);
        else await runRestore(ctx, vm!, options);
      }),
    );
}

/** `--at`: a bare day means the end of that day (a version made on it counts). */
const parseAt = (at: string): Date => parseTimeSpec(at, { option: '--at', now: new Date(), day: 'end' });

/** The help of every `--at` (restore, restore-image, restore-volume, rescue). */
export const AT_HELP = `the newest valid version made at or before then: ${TIME_SPEC_FORMS} (a bare day: its end; UTC unless an offset is given)`;

/** A `--version` that is not among the disk's own versions is looked up by uid, so the error can say whose it is. */
export async function withAskedVersion(ctx: CliContext, vmId: string, own: HostVersion[], options: RestoreOptions): Promise<HostVersion[]> {
  const uid = VersionUid.safeParse(options.version);
  if (!uid.success || own.some((v) => v.uid === uid.data)) return own;
  return [...own, ...(await fetchVersions(ctx, vmId, undefined, uid.data)).versions];
}

export function chooseVersion(vmId: string, image: string, all: HostVersion[], options: RestoreOptions): HostVersion {
  if (options.version !== undefined && options.at !== undefined) throw new InvalidInputError('give --version or --at, not both');
  const own = all.filter((v) => v.name === image);
  if (options.version !== undefined) {
    const uid = VersionUid.safeParse(options.version);
    if (!uid.success) throw new InvalidInputError(`--version '${options.version}' is not a version uid: expected ${uid.error.issues[0]?.message}`);
    const found = all.find((v) => v.uid === uid.data);
    if (!found) throw new UnknownVersionError(`no version ${uid.data} on any backup host`, `List the versions with \`vmbackup ls ${vmId}\`.`);
    if (found.name !== image) throw new InvalidInputError(`version ${uid.data} is a backup of ${found.name}, not of VM ${vmId} (${image}); nothing was changed`);
    if (!found.valid) throw new InvalidInputError(`version ${uid.data} is not valid (a failed or unfinished backup); pick another`);
    return found;
  }
  const valid = own.filter((v) => v.valid);
  if (valid.length === 0) throw new UnknownVersionError(`VM ${vmId} has no valid backup on any backup host`);
  if (options.at === undefined) return valid[0]!;
  const at = parseAt(options.at);
  const chosen = valid.find((v) => new Date(v.date) <= at);
  if (!chosen) {
    throw new UnknownVersionError(`VM ${vmId} has no valid backup at or before ${at.toISOString()}; the oldest is from ${formatDate(valid.at(-1)!.date)}`);
  }
  return chosen;
}

/** What a restore puts back: a VM's disk, a Cinder volume or a Glance image. */
export interface RestoreTarget {
  workload: Workload;
  /** The server to stop and start around the restore, if any. */
  serverId?: string | undefined;
  glanceSnapshot?: boolean;
}

export function workloadPool(ctx: CliContext, workload: Workload): string {
  const w = ctx.config.workloads[workload];
  if (!w) throw new InvalidInputError(`${ctx.config.source}: workloads.${workload} is not configured`);
  return w.pool;
}

export async function runRestore(ctx: CliContext, vm: string, options: RestoreOptions, target: RestoreTarget = { workload: 'vms' }): Promise<void> {
  const noun = target.workload === 'vms' ? 'VM' : target.workload === 'volumes' ? 'volume' : 'image';
  // Off a terminal, neither --dry-run nor --yes is refused here, before anything is started.
  const consent = consentOf(options, { command: target.workload === 'vms' ? 'restore' : `restore-${noun}`, action: `overwrites a ${noun}'s disk` });
  const vmId = VmId.safeParse(vm);
  if (!vmId.success) throw new InvalidInputError(`invalid ${noun} id '${vm}': expected ${vmId.error.issues[0]?.message}; nothing was started`);
  const image = workloadImage(target.workload, vmId.data);
  const pool = workloadPool(ctx, target.workload);
  // This disk's versions only: a whole store would not fit in a workflow result.
  const { versions, unreachable } = await fetchVersions(ctx, vmId.data, image);
  if (unreachable.length === ctx.config.hosts.length) {
    // Not "no such version": nobody could be asked (workers down, or not yet polling a Temporal that just restarted).
    throw new VmbackupError(
      `no backup host answered (${unreachable.map((h) => `${h.host}: ${h.error}`).join('; ')}): the versions of ${noun} ${vmId.data} cannot be looked up; nothing was started`,
      'Start the hosts\' workers (scripts/workers.sh start, or the backup-host service) and retry; after a restart of Temporal they poll again within seconds.',
    );
  }
  for (const h of unreachable) console.error(`warning: host ${h.host} did not answer (${h.error}); its versions are not considered`);
  if (!versions.some((v) => v.name === image) && options.version === undefined) {
    throw new UnknownVersionError(`${noun === 'VM' ? 'VM' : noun} ${vmId.data} has no backup on any backup host`, `Check the id with \`vmbackup ls${target.workload === 'vms' ? '' : ` --workload ${target.workload}`}\`.`);
  }
  const version = chooseVersion(vmId.data, image, await withAskedVersion(ctx, vmId.data, versions, options), options);
  const client = await ctx.temporal();
  // A quick, friendly refusal; the workflow's disk lock is what guarantees it.
  if (!options.dryRun && options.ifBusy !== 'wait') await assertDiskIdle(client, vmId.data, ['backup', 'restore']);

  const input: RestoreInstanceInput = {
    vmId: target.workload === 'vms' ? vmId.data : (target.serverId ?? vmId.data),
    pool,
    image,
    host: version.host,
    versionUid: version.uid,
    manageServer: ctx.config.compute.driver !== 'none' && (target.workload === 'vms' || target.serverId !== undefined),
    glanceSnapshot: Boolean(target.glanceSnapshot),
    waitSeconds: ctx.config.compute.wait_seconds,
    ifBusy: options.ifBusy ?? 'refuse',
    dryRun: true,
  };
  // The VM's name and project, once the dry run has asked the compute driver: the real run's summary names the VM.
  const start = (dryRun: boolean, server?: RestoreResult['server']) => {
    const typedSearchAttributes = diskOperationAttributes({
      operation: dryRun ? 'plan' : 'restore',
      vmId: vmId.data,
      vmName: server?.name,
      project: server?.projectId,
      host: version.host,
      workload: target.workload,
    });
    return client.workflow.start<typeof restoreInstance>('restoreInstance', {
      taskQueue: hostTaskQueue(ctx.config.temporal.task_queue, version.host),
      workflowId: `${dryRun ? 'restore-plan' : 'restore'}/${vmId.data}/${idStamp()}`,
      args: [{ ...input, dryRun }],
      typedSearchAttributes,
      // The version's date is what an auditor asks ("restored to when?"); only this command knows it.
      staticSummary: startSummary({ workflowType: 'restoreInstance', attributes: typedSearchAttributes, input: { dryRun }, versionDate: version.date }),
    });
  };

  // The plan comes from the host itself (a dry run of the same workflow), so what is confirmed is what will run.
  const plan = await (await start(true)).result();
  if (consent.kind === 'dry-run') return printResult(ctx, plan, undefined);
  if (consent.kind === 'ask') await askOnTerminal({ plan: plan.plan, label: `the ${noun} id`, expected: vmId.data });

  const handle = await start(false, plan.server);
  const url = workflowUrl(ctx.config.temporal, handle.workflowId);
  ctx.announce(`restore of ${noun} ${vmId.data} to ${version.uid} (${formatDate(version.date)}) from ${version.host}`, handle.workflowId);
  const result = await followProgress(handle, ctx.showProgress, { temporal: ctx.config.temporal, reconnectSeconds: ctx.reconnectSeconds, what: 'restore' });
  printResult(ctx, result, url);
}

function printResult(ctx: CliContext, r: RestoreResult, url: string | undefined): void {
  if (ctx.output === 'json') {
    console.log(JSON.stringify({ ...r, url }, null, 2));
    return;
  }
  if (r.dryRun) {
    console.log(`Restore of VM ${r.vmId} to version ${r.versionUid} (${formatDate(r.versionDate)}, ${formatBytes(r.sizeBytes)}) from ${r.host} would:`);
    r.plan.forEach((step, i) => console.log(`  ${i + 1}. ${step}`));
    return;
  }
  const rows: Array<[string, string]> = [
    ['vm', r.vmId],
    ['version', `${r.versionUid} (${formatDate(r.versionDate)})`],
    ['disk', `${r.image}, ${formatBytes(r.sizeBytes)}`],
    ['original kept as', r.asideImage ?? '-'],
    ['vm stopped / started', `${r.serverStopped ? 'yes' : 'no'} / ${r.serverStarted ? 'yes' : 'no'}`],
    ['took', formatDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt))],
  ];
  console.log(renderTable(rows, [{ header: 'RESTORED', value: (row) => row[0] }, { header: r.image, value: (row) => row[1] }]));
}

async function runProjectRestore(ctx: CliContext, project: string, options: RestoreOptions): Promise<void> {
  consentOf(options, { command: 'restore --project', action: "overwrites every VM's disk in the project" });
  if (options.version !== undefined) throw new InvalidInputError('--version names one VM\'s version; with --project use --at');
  if (ctx.config.compute.driver !== 'openstack') {
    throw new InvalidInputError('a mass restore lists the project\'s VMs through the compute service: set compute.driver: openstack');
  }
  const concurrency = Number(options.parallel ?? '2');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new InvalidInputError(`--parallel '${options.parallel}' must be a whole number from 1 to 32`);
  const at = options.at === undefined ? undefined : parseAt(options.at).toISOString();
  const client = await ctx.temporal();
  const hosts = ctx.config.hosts.map((h) => h.name);
  const live = [...(await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, hosts))];
  if (live.length === 0) throw new VmbackupError('no backup host has a running worker', 'Start the workers (scripts/workers.sh start, or the backup-host service).');
  for (const h of hosts.filter((x) => !live.includes(x))) console.error(`warning: host ${h} has no worker; its versions are not considered`);
  const input: RestoreProjectInput = { project, pool: ctx.config.workloads.vms.pool, hosts: live, at, concurrency, waitSeconds: ctx.config.compute.wait_seconds };
  const stamp = idStamp();
  const run = async (dryRun: boolean) => {
    const handle = await client.workflow.start<typeof restoreProject>('restoreProject', {
      taskQueue: ctx.config.temporal.task_queue,
      workflowId: `${dryRun ? 'restore-plan' : 'restore'}/project/${project}/${stamp}`,
      args: [{ ...input, dryRun }],
      typedSearchAttributes: [
        { key: Operation, value: dryRun ? 'plan' : 'restore' },
        { key: ProjectKey, value: project },
      ],
    });
    // Each VM's restore is a child workflow: the line counts them while they run.
    return followStarted(ctx, `${dryRun ? 'plan of a ' : ''}restore of project ${project}`, handle, ctx.showProgress && !dryRun);
  };
  const plan = await run(true);
  if (plan.planned.length === 0) throw new UnknownVersionError(`project ${project} has no VMs in the compute service`);
  if (options.dryRun || !options.yes) printProjectResult(ctx, plan);
  if (options.dryRun) return;
  if (!options.yes) await askOnTerminal({ label: 'the project name', expected: project, plan: [`restore ${plan.planned.filter((p) => p.versionUid).length} VMs of ${project}, ${concurrency} at a time, each as above`] });
  const result = await run(false);
  printProjectResult(ctx, result);
  if (result.failed.length) process.exitCode = 1;
}

function printProjectResult(ctx: CliContext, r: RestoreProjectResult): void {
  if (ctx.output === 'json') {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  const outcome = (vmId: string) =>
    r.dryRun ? (r.failed.find((f) => f.vmId === vmId)?.error ?? 'would restore') : r.restored.some((x) => x.vmId === vmId) ? 'restored' : `FAILED: ${r.failed.find((f) => f.vmId === vmId)?.error ?? '?'}`;
  console.log(
    renderTable(r.planned, [
      { header: 'VM', value: (p) => p.vmId },
      { header: 'NAME', value: (p) => p.name },
      { header: 'VERSION', value: (p) => p.versionUid },
      { header: 'DATE', value: (p) => p.versionDate && formatDate(p.versionDate) },
      { header: 'HOST', value: (p) => p.host },
      { header: 'OUTCOME', value: (p) => outcome(p.vmId) },
    ]),
  );
  if (!r.dryRun) console.log(`\n${r.restored.length} restored, ${r.failed.length} failed, of ${r.planned.length} VMs in project ${r.project}`);
}
