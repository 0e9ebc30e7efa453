// `vmbackup where PROJECT`: which backup host backs up a project and by which
// rule, and for each of its VMs (or volumes) whether a rule excludes it and on
// which hosts its backups actually are. The inventory is taken by a host's
// worker (workflow listInventory), so this needs no OpenStack credentials here.
import { type Command, Option } from 'commander';
import { InvalidInputError, UnknownVmError, VmbackupError } from '../../lib/errors.ts';
import type { InventoryDisk, InventorySnapshot } from '../../lib/fleet/inventory.ts';
import { assignmentOf } from '../../lib/fleet/policy.ts';
import { assignedHost, backupsPerHost, describeAssignment, exclusionOfDisk, type HostBackups, matchDisks } from '../../lib/fleet/where.ts';
import { ProjectId } from '../../lib/naming.ts';
import type { ListInventoryInput } from '../../lib/operations/where.ts';
import { BackupHost, Operation, Project } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { hostsWithWorkers } from '../../lib/temporal/pollers.ts';
import type { listInventory } from '../../workflows/list-inventory.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatDate } from '../output/format.ts';
import type { Field } from '../output/render.ts';
import { renderTable } from '../output/table.ts';
import { fetchVersions } from '../versions.ts';
import { lookupId } from '../workflow-id.ts';

interface WhereOptions {
  vm?: string;
  workload: 'vms' | 'volumes';
}

/** Disks whose versions are asked for at once: each ask is a listBackups workflow over every host. */
const LOOKUPS_AT_ONCE = 4;

export function registerWhere(program: Command): void {
  program
    .command('where')
    .description("which backup host backs up a project, and where each of its VMs' backups are")
    .argument('<project>', 'project id')
    .option('--vm <name-or-id>', 'only this VM (or volume): its id, or its name')
    .addOption(new Option('--workload <kind>', 'VMs or Cinder volumes').choices(['vms', 'volumes']).default('vms'))
    .addHelpText(
      'after',
      `
The host comes from project_assignments, with the rule that decided it. The
project's disks come from the inventory, taken by a backup host's worker; their
backups from every host's store (a VM whose project moved has them on both).

Examples:
  vmbackup where 5f1a…
  vmbackup where 5f1a… --vm web01 -f json`,
    )
    .action(withContext((ctx, project: string, options: WhereOptions) => runWhere(ctx, project, options), { listing: true }));
}

interface DiskPlacement {
  id: string;
  name: string;
  status: string | undefined;
  image: string;
  onCeph: boolean;
  assignedTo: string | undefined;
  /** The exclusion rule that keeps it from being backed up, if any. */
  excluded: string | undefined;
  backups: HostBackups[];
}

async function runWhere(ctx: CliContext, rawProject: string, options: WhereOptions): Promise<void> {
  const project = ProjectId.safeParse(rawProject);
  if (!project.success) throw new InvalidInputError(`invalid project '${rawProject}': expected ${project.error.issues[0]?.message}`);
  const assignment = assignmentOf(project.data, ctx.config.project_assignments);
  const inventory = await projectInventory(ctx, { workload: options.workload, project: project.data }, assignedHost(assignment));
  let disks: InventoryDisk[] = inventory.disks;
  if (options.vm !== undefined) {
    disks = matchDisks(disks, options.vm);
    if (disks.length === 0) {
      throw new UnknownVmError(
        `no ${options.workload === 'vms' ? 'VM' : 'volume'} '${options.vm}' in project ${project.data} (${inventory.driver} inventory)`,
        `\`vmbackup where ${project.data}\` lists the project's ${options.workload}.`,
      );
    }
  }
  const unreachable = new Map<string, string>();
  const placements: DiskPlacement[] = [];
  const queue = [...disks].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const lookups = queue.map(() => undefined as HostBackups[] | undefined);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < queue.length; i = next++) {
      const fetched = await fetchVersions(ctx, queue[i]!.id, queue[i]!.image);
      for (const u of fetched.unreachable) unreachable.set(u.host, u.error);
      lookups[i] = backupsPerHost(fetched.versions);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, queue.length) }, lane));
  queue.forEach((disk, i) =>
    placements.push({
      id: disk.id,
      name: disk.name,
      status: disk.status,
      image: disk.image,
      onCeph: disk.onCeph,
      assignedTo: assignedHost(assignment),
      excluded: exclusionOfDisk(disk, options.workload, ctx.config.exclude),
      backups: lookups[i]!,
    }),
  );
  const errors = [...unreachable].map(([host, error]) => ({ host, error }));
  ctx.list({
    rows: placements,
    fields: placementFields(options.workload),
    document: {
      project: project.data,
      workload: options.workload,
      assignment: { ...assignment, text: describeAssignment(assignment) },
      inventory: { driver: inventory.driver, takenAt: inventory.takenAt, disks: inventory.disks.length },
      disks: placements,
      errors,
    },
    report: () => printWhere(project.data, describeAssignment(assignment), inventory, placements, options),
  });
  for (const e of errors) console.error(`warning: host ${e.host} did not answer, its backups are not shown: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}

/** The project's disks as a host's worker sees them; the assigned host is asked first, any live one will do. */
async function projectInventory(ctx: CliContext, input: ListInventoryInput, preferred: string | undefined): Promise<InventorySnapshot> {
  const client = await ctx.temporal();
  const hosts = ctx.config.hosts.map((h) => h.name);
  const live = await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, hosts);
  const host = preferred !== undefined && live.has(preferred) ? preferred : hosts.find((h) => live.has(h));
  if (host === undefined) throw new VmbackupError('no backup host has a running worker: nobody can take the inventory', 'Start the workers first (scripts/workers.sh start on the local stack).');
  return client.workflow.execute<typeof listInventory>('listInventory', {
    taskQueue: hostTaskQueue(ctx.config.temporal.task_queue, host),
    workflowId: lookupId('where', input.project ?? 'all'),
    args: [input],
    typedSearchAttributes: [
      { key: Operation, value: 'list' },
      { key: Project, value: input.project ?? 'unknown' },
      { key: BackupHost, value: host },
    ],
  });
}

/** One row per disk of the project; `-c id` names the disk column whatever the workload. */
function placementFields(workload: WhereOptions['workload']): Field<DiskPlacement>[] {
  return [
    { header: workload === 'vms' ? 'VM' : 'VOLUME', name: 'id', value: (p) => p.id },
    { header: 'NAME', value: (p) => p.name || undefined },
    { header: 'STATUS', value: (p) => p.status },
    { header: 'ON CEPH', value: (p) => p.onCeph },
    { header: 'ASSIGNED', value: (p) => p.assignedTo },
    { header: 'EXCLUDED', value: (p) => p.excluded ?? 'no' },
    { header: 'BACKUPS', value: (p) => p.backups.map((b) => `${b.host}: ${b.versions}, newest ${formatDate(b.newest)}`).join('; ') || 'none' },
  ];
}

function printWhere(project: string, assignment: string, inventory: InventorySnapshot, placements: DiskPlacement[], options: WhereOptions): void {
  console.log(
    renderTable(
      [
        ['project', project],
        ['backed up on', assignment],
        ['inventory', `${inventory.disks.length} ${options.workload} in the project (${inventory.driver} driver, taken ${formatDate(inventory.takenAt)})`],
      ],
      [
        { header: 'WHERE', value: (r) => r[0] },
        { header: '', value: (r) => r[1] },
      ],
    ),
  );
  if (placements.length === 0) return;
  console.log();
  console.log(
    renderTable(placements, placementFields(options.workload)),
  );
  if (options.vm === undefined) return;
  for (const p of placements) {
    console.log();
    console.log(
      renderTable(p.backups, [
        { header: `BACKUPS OF ${p.id}`, value: (b) => b.host },
        { header: 'VERSIONS', value: (b) => b.versions, align: 'right' },
        { header: 'INVALID', value: (b) => b.invalid, align: 'right' },
        { header: 'NEWEST', value: (b) => formatDate(b.newest) },
      ]),
    );
  }
}
