// `vmbackup snapshots --vm VM`: every RBD snapshot of one disk and the backup
// host whose backup made it (the `_<host>` suffix), as the runbook's
// `rbd snap ls <pool>/<vm>_disk` with the owner read for you. Any live host
// reads it: all see the same Ceph.
import { type Command, Option } from 'commander';
import { InvalidInputError, VmbackupError } from '../../lib/errors.ts';
import { SNAPSHOTS_PER_DISK_PER_HOST } from '../../lib/listings/excess.ts';
import { type Workload, workloadImage } from '../../lib/naming.ts';
import { hostsWithWorkers } from '../../lib/temporal/pollers.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { listOnHost } from '../host-listing.ts';
import { listWithNotes } from '../listing-notes.ts';
import { formatDate } from '../output/format.ts';
import { diskLabel, resolveDiskArg } from '../resolve-disk.ts';

interface SnapshotsVmOptions {
  vm?: string;
  workload?: Workload;
}

/** The group's own options and action: `snapshots --vm VM`; `dangling` and `purge` stay subcommands. */
export function addSnapshotsOfVm(snapshots: Command): void {
  snapshots
    .option('--vm <id-or-name>', "every snapshot of this VM's disk, with the host whose backup made it")
    .addOption(new Option('--workload <kind>', 'what --vm names (default: vms)').choices(['vms', 'volumes', 'images']))
    .addHelpText(
      'after',
      `
\`snapshots --vm VM\` lists every snapshot of the disk; OWNER is the backup host
whose backup made it (from its _<host> suffix), '-' for anyone else's. Each host
keeps ${SNAPSHOTS_PER_DISK_PER_HOST} (its last backup's, the base of the next incremental); more is a leak.

Examples:
  vmbackup snapshots --vm web01
  vmbackup snapshots --vm 3f1c…-…-… -f json`,
    )
    .action(
      withContext(
        async (ctx, options: SnapshotsVmOptions) => {
          if (options.vm === undefined) throw new InvalidInputError('give --vm VM, or a subcommand: snapshots dangling | snapshots purge');
          await runSnapshotsOfVm(ctx, options.vm, options.workload ?? 'vms');
        },
        { listing: true },
      ),
    );
}

async function runSnapshotsOfVm(ctx: CliContext, vm: string, workload: Workload): Promise<void> {
  const disk = await resolveDiskArg(ctx, vm, workload, { allowUnlisted: true });
  const pool = ctx.config.workloads[workload]?.pool;
  if (pool === undefined) throw new InvalidInputError(`workloads.${workload} is not configured in ${ctx.config.source}`);
  const hosts = ctx.config.hosts.map((h) => h.name);
  const live = await hostsWithWorkers(await ctx.temporal(), ctx.config.temporal.namespace, ctx.config.temporal.task_queue, hosts);
  const host = hosts.find((h) => live.has(h));
  if (host === undefined) throw new VmbackupError('no backup host has a running worker: nobody can read the snapshots', 'Start the workers first (scripts/workers.sh start on the local stack).');
  const image = workloadImage(workload, disk.id);
  const listed = await listOnHost(ctx, { listing: 'snapshots', host, pool, image });
  const perOwner = new Map<string, number>();
  for (const s of listed.snapshots) if (s.owner !== undefined) perOwner.set(s.owner, (perOwner.get(s.owner) ?? 0) + 1);
  const over = [...perOwner].filter(([, n]) => n > SNAPSHOTS_PER_DISK_PER_HOST).map(([owner, n]) => ({ host: owner, snapshots: n }));
  const what = `${pool}/${image} (VM ${diskLabel(disk)})`;
  const notes = over.map((o) => `note: ${o.host} has ${o.snapshots} backup snapshots of this disk, ${SNAPSHOTS_PER_DISK_PER_HOST} expected: see \`vmbackup snapshots dangling --host ${o.host}\``);
  listWithNotes(ctx, {
    rows: listed.snapshots,
    document: { vm: disk.id, name: disk.name, pool, image, exists: listed.exists, snapshots: listed.snapshots, over },
    empty: listed.exists ? `no snapshots of ${what}` : `${what} does not exist`,
    fields: [
      { header: 'SNAPSHOT', value: (s) => s.name },
      { header: 'OWNER', value: (s) => s.owner },
      { header: 'TAKEN', value: (s) => (s.takenAt ? formatDate(s.takenAt) : undefined), raw: (s) => s.takenAt },
      { header: 'PROTECTED', value: (s) => s.protected },
    ],
  }, notes);
}
