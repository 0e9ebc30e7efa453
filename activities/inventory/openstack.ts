// The `openstack` inventory: servers, volumes and images as the real `openstack`
// CLI lists them for every project. Only id, name, status and project are read,
// and every column may be missing (older or newer CLIs print other sets).
import { z } from 'zod';
import { CommandError } from '../../lib/errors.ts';
import type { Workload } from '../../lib/naming.ts';
import { OpenstackCli, type OpenstackOptions, OpenstackRef } from '../compute/openstack-cli.ts';
import type { InventoryDriver, InventoryEntry } from './inventory-driver.ts';

/** Projects whose volumes are listed at once when the CLI prints no volume project. */
const PROJECT_PARALLELISM = 4;

const Text = z
  .string()
  .nullish()
  .transform((v) => v?.trim() || undefined);

/**
 * One row of `server|volume|image list -f json`. The id goes into RBD image
 * names, so it must be a safe name. The project is `Project ID` for servers,
 * `Project` (Glance's owner) for images; python-openstackclient 6.x prints none
 * for volumes, a later CLI may print either.
 */
const InventoryRow = z
  .looseObject({ ID: OpenstackRef, Name: Text, Status: Text, 'Project ID': Text, Project: Text })
  .transform((row): InventoryEntry => ({ id: row.ID, name: row.Name ?? '', projectId: row['Project ID'] ?? row.Project, status: row.Status }));

export const InventoryRows = z.array(InventoryRow);

/** `project list -f json`: only the ids, checked like every id before they go into an argv. */
const ProjectRows = z.array(z.looseObject({ ID: OpenstackRef }).transform((row) => row.ID));

/** `volume list -c ID -f json`. */
const IdRows = z.array(z.looseObject({ ID: OpenstackRef }).transform((row) => row.ID));

export class OpenstackInventory implements InventoryDriver {
  readonly kind = 'openstack' as const;

  private readonly cli: OpenstackCli;

  constructor(options: OpenstackOptions) {
    this.cli = new OpenstackCli(options);
  }

  async list(workload: Workload): Promise<InventoryEntry[]> {
    switch (workload) {
      case 'vms':
        return readRows(InventoryRows, await this.cli.serverRows(['ID', 'Name', 'Status', 'Project ID']), ['server', 'list', '--all-projects']);
      case 'volumes':
        return this.volumes();
      case 'images':
        return this.images();
    }
  }

  /**
   * An admin's Glance lists every project's images (there is no --all-projects),
   * but by default neither community images (`--all`: every visibility) nor
   * hidden ones (`os_hidden`), which `--hidden` lists instead of the others:
   * two listings, so that no image in use goes unseen.
   */
  private async images(): Promise<InventoryEntry[]> {
    const [shown, hidden] = await Promise.all([
      this.parsed(InventoryRows, ['image', 'list', '--all', '--long', '-f', 'json']),
      this.parsed(InventoryRows, ['image', 'list', '--all', '--hidden', '--long', '-f', 'json']),
    ]);
    const ids = new Set(shown.map((i) => i.id));
    return [...shown, ...hidden.filter((i) => !ids.has(i.id))];
  }

  private async volumes(): Promise<InventoryEntry[]> {
    const volumes = await this.parsed(InventoryRows, ['volume', 'list', '--all-projects', '--long', '-f', 'json']);
    if (volumes.every((v) => v.projectId !== undefined)) return volumes;
    const owners = await this.volumeOwners();
    return volumes.map((v) => ({ ...v, projectId: v.projectId ?? owners.get(v.id) }));
  }

  /**
   * Volume id → project, one `volume list --project` per project: the 6.x CLI
   * prints no project column for volumes, and a `volume show` per volume would
   * cost a CLI process per disk rather than per project. Both volume listings
   * are complete without a flag: python-cinderclient 9 (`_list`) follows Cinder's
   * `volumes_links` next page unless a limit is given. Keystone does not page
   * `project list` (it cuts it at `list_limit` only where an operator set one).
   */
  private async volumeOwners(): Promise<Map<string, string>> {
    const projects = await this.parsed(ProjectRows, ['project', 'list', '-f', 'json']);
    const owners = new Map<string, string>();
    const queue = [...projects];
    const worker = async () => {
      for (let project = queue.shift(); project !== undefined; project = queue.shift()) {
        const args = ['volume', 'list', '--project', project, '-c', 'ID', '-f', 'json'];
        for (const id of await this.parsed(IdRows, args)) owners.set(id, project);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PROJECT_PARALLELISM, projects.length) }, worker));
    return owners;
  }

  private async parsed<T>(schema: z.ZodType<T>, args: string[]): Promise<T> {
    return readRows(schema, await this.cli.json(args), args);
  }
}

/** What `openstack ARGS -f json` printed; a shape the driver cannot read is a CommandError naming the row and field. */
function readRows<T>(schema: z.ZodType<T>, raw: unknown, args: string[]): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new CommandError(
    `\`openstack ${args.join(' ')}\` printed what vmbackup cannot read: [${issue?.path.join('.') ?? ''}] ${issue?.message ?? 'invalid'}`,
    ['openstack', ...args],
    0,
    '',
  );
}
