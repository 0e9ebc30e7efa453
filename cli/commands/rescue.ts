// `vmbackup rescue VM`: bring back a VM deleted from OpenStack from its backup.
import type { Command } from 'commander';
import { InvalidInputError, UnknownVersionError } from '../../lib/errors.ts';
import { vmDiskImage } from '../../lib/naming.ts';
import type { RescueResult } from '../../lib/operations/rescue.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { followStarted } from '../watch-progress.ts';
import type { rescueInstance } from '../../workflows/rescue-instance.ts';
import { askOnTerminal, consentOf } from '../confirm.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { resolveDiskArg } from '../resolve-disk.ts';
import { idStamp } from '../workflow-id.ts';
import { formatDate } from '../output/format.ts';
import { renderTable } from '../output/table.ts';
import { fetchVersions } from '../versions.ts';
import { AT_HELP, chooseVersion, withAskedVersion } from './restore.ts';

interface RescueOptions {
  version?: string;
  at?: string;
  network?: string;
  yes?: boolean;
  dryRun?: boolean;
}

export function registerRescue(program: Command): void {
  program
    .command('rescue')
    .description('bring back a VM deleted from OpenStack: create a server like it and restore its disk from a backup')
    .argument('<vm>', 'id of the deleted VM (or a name the inventory still knows)')
    .option('--version <uid>', 'the version to restore')
    .option('--at <when>', AT_HELP)
    .option('--network <net>', 'network for the new server (default: the first one recorded)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-n, --dry-run', 'check and print the plan, create and change nothing')
    .addHelpText(
      'after',
      `
The new server gets the recorded name, project, flavor, image and network; it
gets a new id and new addresses, and the property vmbackup_rescue=<workflow id>.
Security groups, further networks and attached volumes are listed at the end
for you to redo. If a server of that name already exists in the project and
this rescue did not create it, the rescue stops (exit 1) and leaves it alone.

The plan is shown first; on a terminal you confirm by typing the VM id. Off a
terminal, --yes is required (exit 2 otherwise, nothing started).

Examples:
  vmbackup rescue 3f1c… --dry-run
  vmbackup rescue 3f1c… --at 2026-11-20 --yes`,
    )
    .action(withContext((ctx, vm: string, options: RescueOptions) => runRescue(ctx, vm, options)));
}

async function runRescue(ctx: CliContext, vm: string, options: RescueOptions): Promise<void> {
  if (ctx.config.compute.driver !== 'openstack') throw new InvalidInputError('a rescue creates a server: set compute.driver: openstack');
  // A deleted VM is no longer in the inventory: its id is taken as is; a name resolves only while some VM still carries it.
  const vmId = (await resolveDiskArg(ctx, vm, 'vms', { allowUnlisted: true })).id;
  const consent = consentOf(options, { command: 'rescue', action: 'creates a server and restores a disk into it' });
  const image = vmDiskImage(vmId);
  const { versions } = await fetchVersions(ctx, vmId, image);
  if (!versions.some((v) => v.name === image)) throw new UnknownVersionError(`VM ${vmId} has no backup on any backup host`);
  const version = chooseVersion(vmId, image, await withAskedVersion(ctx, vmId, versions, options), options);
  const client = await ctx.temporal();
  const stamp = idStamp();
  const run = (dryRun: boolean) => {
    const workflowId = `${dryRun ? 'rescue-plan' : 'rescue'}/${vmId}/${stamp}`;
    const started = client.workflow.start<typeof rescueInstance>('rescueInstance', {
      taskQueue: hostTaskQueue(ctx.config.temporal.task_queue, version.host),
      workflowId,
      args: [
        {
          vmId: vmId,
          pool: ctx.config.workloads.vms.pool,
          host: version.host,
          versionUid: version.uid,
          snapshotName: version.snapshotName,
          network: options.network,
          waitSeconds: ctx.config.compute.wait_seconds,
          dryRun,
        },
      ],
      typedSearchAttributes: diskOperationAttributes({ operation: dryRun ? 'plan' : 'restore', vmId: vmId, host: version.host }),
    });
    return started.then((handle) => followStarted(ctx, `${dryRun ? 'plan of a ' : ''}rescue of VM ${vmId} from ${version.uid} (${formatDate(version.date)})`, handle, ctx.showProgress && !dryRun));
  };
  if (consent.kind !== 'confirmed') {
    // The plan comes from the host (a dry run of the same workflow): it checks the VM is gone and reads what was recorded.
    const plan = await run(true);
    if (consent.kind === 'dry-run') return printResult(ctx, plan);
    await askOnTerminal({ plan: plan.plan, label: 'the VM id', expected: vmId });
  }
  printResult(ctx, await run(false));
}

function printResult(ctx: CliContext, r: RescueResult): void {
  if (ctx.output === 'json') {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  if (r.dryRun) {
    console.log(`Rescue of VM ${r.oldVmId} (${r.name}, project ${r.projectId}) from version ${r.versionUid} would:`);
    r.plan.forEach((step, i) => console.log(`  ${i + 1}. ${step}`));
    if (r.notRestored.length) console.log(`Not brought back (redo by hand):\n${r.notRestored.map((x) => `  - ${x}`).join('\n')}`);
    return;
  }
  const rows: Array<[string, string]> = [
    ['new vm', r.newVmId ?? '-'],
    ['name / project', `${r.name} / ${r.projectId}`],
    ['flavor / image / network', `${r.flavor} / ${r.image} / ${r.network}`],
    ['disk restored from', r.versionUid],
  ];
  console.log(renderTable(rows, [{ header: 'RESCUED', value: (row) => row[0] }, { header: r.oldVmId, value: (row) => row[1] }]));
  if (r.notRestored.length) console.log(`\nNot brought back (redo by hand):\n${r.notRestored.map((x) => `  - ${x}`).join('\n')}`);
}
