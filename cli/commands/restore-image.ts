// `vmbackup restore-image IMAGE` and `vmbackup restore-volume VOLUME`: the same
// in-place restore as a VM's disk, for a Glance image (then its protected
// snapshot `snap` is recreated) and for a Cinder volume (refused while it is
// attached, unless its VM is stopped by the same operation).
import type { Command } from 'commander';
import { InvalidInputError } from '../../lib/errors.ts';
import { VmId } from '../../lib/naming.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { AT_HELP, runRestore } from './restore.ts';

interface Options {
  version?: string;
  at?: string;
  yes?: boolean;
  dryRun?: boolean;
  stopVm?: string;
}

function common(cmd: Command): Command {
  return cmd
    .option('--version <uid>', 'the version to restore (see `vmbackup ls --workload …`)')
    .option('--at <when>', AT_HELP)
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-n, --dry-run', 'print the plan, change nothing');
}

export function registerRestoreImage(program: Command): void {
  common(
    program
      .command('restore-image')
      .description('restore a Glance image into the images pool and recreate its protected snapshot `snap`')
      .argument('<image>', 'Glance image id (the RBD image in workloads.images.pool)'),
  ).action(withContext((ctx, image: string, options: Options) => runRestore(ctx, image, options, { workload: 'images', glanceSnapshot: true })));
}

export function registerRestoreVolume(program: Command): void {
  common(
    program
      .command('restore-volume')
      .description('restore a Cinder volume in place (volume-<id> in workloads.volumes.pool)')
      .argument('<volume>', 'Cinder volume id')
      .option('--stop-vm <server>', 'the volume is attached to this VM: stop it for the restore and start it after'),
  ).action(
    withContext(async (ctx, volume: string, options: Options) => {
      const serverId = options.stopVm === undefined ? undefined : VmId.parse(options.stopVm);
      if (ctx.config.compute.driver === 'openstack') {
        const attachedTo = await attachedServer(ctx, volume);
        if (attachedTo && attachedTo !== serverId) {
          throw new InvalidInputError(`volume ${volume} is attached to VM ${attachedTo}: pass --stop-vm ${attachedTo} to stop it during the restore; nothing was changed`);
        }
      }
      await runRestore(ctx, volume, options, { workload: 'volumes', serverId });
    }),
  );
}

/** The server a volume is attached to, from the compute service's view of every server. */
async function attachedServer(ctx: CliContext, volume: string): Promise<string | undefined> {
  const { OpenstackComputeDriver } = await import('../../activities/compute/openstack.ts');
  const driver = new OpenstackComputeDriver({ bin: ctx.config.compute.openstack_bin, env: ctx.config.compute.openstack_env });
  return (await driver.listServers()).find((s) => s.volumes.includes(volume))?.id;
}
