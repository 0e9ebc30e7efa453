// A VM argument (id or name) to the disk it names, for every command that takes
// one. Scale: the host's worker takes the inventory with its driver (the listing
// a night takes: one `server list --all-projects --limit -1`, or `rbd ls` and the
// YAML file) and returns only the disks of that id or name, so the answer stays a
// few rows for a cloud of any size and is today's inventory (a VM created or
// renamed since last night resolves). The nights' saved inventory
// (lib/fleet/last-inventory.ts) would be cheaper but holds ids only, no names,
// and lives in each host's state_dir, out of the CLI's reach.
import { InvalidInputError } from '../lib/errors.ts';
import { DiskRef, resolveDisk, type ResolvedDisk } from '../lib/fleet/resolve-disk.ts';
import { VmId, type Workload } from '../lib/naming.ts';
import type { CliContext } from './context.ts';
import { NoInventoryHostError, queryInventory } from './inventory-query.ts';

const NOUN: Record<Workload, string> = { vms: 'VM', volumes: 'volume', images: 'image' };

export interface ResolveFlags {
  /** Accept an id the inventory lacks (the VM is gone, its backups are not). */
  allowUnlisted: boolean;
}

/** The disk `ref` names; AmbiguousNameError (exit 2) or UnknownVmError (exit 3) when it names several or none. */
export async function resolveDiskArg(ctx: CliContext, ref: string, workload: Workload, flags: ResolveFlags): Promise<ResolvedDisk> {
  const parsed = DiskRef.safeParse(ref);
  if (!parsed.success) throw new InvalidInputError(`invalid ${NOUN[workload]} '${ref}': expected ${parsed.error.issues[0]?.message}; nothing was done`);
  let inventory;
  try {
    inventory = await queryInventory(ctx, { workload, match: parsed.data });
  } catch (err) {
    // With no worker anywhere, an id still names its disk: the command goes on and reports the silent hosts itself.
    if (!(err instanceof NoInventoryHostError) || !flags.allowUnlisted || !VmId.safeParse(parsed.data).success) throw err;
    console.error(`warning: ${err.message}; '${parsed.data}' is taken as an id`);
    return { id: parsed.data, name: '', via: 'id' };
  }
  return resolveDisk(parsed.data, inventory.disks, ctx.config.project_assignments, { noun: NOUN[workload], allowUnlisted: flags.allowUnlisted });
}

/** `web01 (3f1c…)` when the name is known, else the id. */
export const diskLabel = (d: Pick<ResolvedDisk, 'id' | 'name'>): string => (d.name ? `${d.name} (${d.id})` : d.id);
