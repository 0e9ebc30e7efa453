// `vmbackup rescue VM`: bring back a VM deleted from OpenStack from its backup.
import type { Command } from 'commander';
import { InvalidInputError, UnknownVersionError } from '../../lib/errors.ts';
import { vmDiskImage, VmId } from '../../lib/naming.ts';
import type { RescueResult } from '../../lib/operations/rescue.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { workflowUrl } from '../../lib/temporal/connection.ts';
import type { rescueInstance } from '../../workflows/rescue-instance.ts';
import { CliContext, type GlobalOptions } from '../context.ts';
import { formatDate } from '../output/format.ts';
import { renderTable } from '../output/table.ts';
import { fetchVersions } from '../versions.ts';
import { chooseVersion } from './restore.ts';

interface RescueOptions {
  version?: string;
  at?: string;
  network?: string;
  yes?: boolean;
}

export function registerRescue(program: Command): void {
  program
    .command('rescue')
    .description('bring back a VM deleted from OpenStack: create a server like it and restore its disk from a backup')
    .argument('<vm>', 'id of the deleted VM')
    .option('--version <uid>', 'the version to restore')
    .option('--at <date>', 'the newest valid version made at or before this date (UTC)')
    .option('--network <net>', 'network for the new server (default: the first one recorded)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      `
The new server gets the recorded name, project, flavor, image and network; it
gets a new id and new addresses. Security groups, further networks and attached
volumes are listed at the end for you to redo.`,
    )
    .action(async (vm: string, options: RescueOptions, command: Command) => {
      const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
      try {
        await runRescue(ctx, vm, options);
      } finally {
        await ctx.close();
      }
    });
}

async function runRescue(ctx: CliContext, vm: string, options: RescueOptions): Promise<void> {
  const vmId = VmId.safeParse(vm);
  if (!vmId.success) throw new InvalidInputError(`invalid VM id '${vm}': expected ${vmId.error.issues[0]?.message}; nothing was started`);
  if (ctx.config.compute.driver !== 'openstack') throw new InvalidInputError('a rescue creates a server: set compute.driver: openstack');
  if (!options.yes) throw new InvalidInputError('a rescue creates a server and restores a disk: pass --yes to go ahead');
  const image = vmDiskImage(vmId.data);
  const { versions } = await fetchVersions(ctx, vmId.data, undefined);
  if (!versions.some((v) => v.name === image)) throw new UnknownVersionError(`VM ${vmId.data} has no backup on any backup host`);
  const version = chooseVersion(vmId.data, image, versions, options);
  const client = await ctx.temporal();
  const workflowId = `rescue/${vmId.data}/${new Date().toISOString().slice(0, 19).replaceAll(':', '')}`;
  if (ctx.output === 'table') console.error(`rescuing VM ${vmId.data} from ${version.uid} (${formatDate(version.date)}): ${workflowId}\nhistory: ${workflowUrl(ctx.config.temporal, workflowId)}`);
  const r = await client.workflow.execute<typeof rescueInstance>('rescueInstance', {
    taskQueue: hostTaskQueue(ctx.config.temporal.task_queue, version.host),
    workflowId,
    args: [
      {
        vmId: vmId.data,
        pool: ctx.config.workloads.vms.pool,
        host: version.host,
        versionUid: version.uid,
        snapshotName: version.snapshotName,
        network: options.network,
        waitSeconds: ctx.config.compute.wait_seconds,
      },
    ],
    typedSearchAttributes: diskOperationAttributes({ operation: 'restore', vmId: vmId.data, host: version.host }),
  });
  printResult(ctx, r);
}

function printResult(ctx: CliContext, r: RescueResult): void {
  if (ctx.output === 'json') {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  const rows: Array<[string, string]> = [
    ['new vm', r.newVmId],
    ['name / project', `${r.name} / ${r.projectId}`],
    ['flavor / image / network', `${r.flavor} / ${r.image} / ${r.network}`],
    ['disk restored from', r.versionUid],
  ];
  console.log(renderTable(rows, [{ header: 'RESCUED', value: (row) => row[0] }, { header: r.oldVmId, value: (row) => row[1] }]));
  if (r.notRestored.length) console.log(`\nNot brought back (redo by hand):\n${r.notRestored.map((x) => `  - ${x}`).join('\n')}`);
}
