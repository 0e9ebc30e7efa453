// Which disk an operator's VM argument names: an id or a name, resolved through
// the inventory the way the openstack CLI resolves a server (an exact id wins,
// else the name; a name several servers share is refused). Pure: the CLI asks a
// host for the inventory's matches (cli/resolve-disk.ts) and decides here.
import { z } from 'zod';
import type { ProjectAssignments } from '../config/schema.ts';
import { AmbiguousNameError, UnknownVmError } from '../errors.ts';
import { VmId } from '../naming.ts';
import type { InventoryDisk } from './inventory.ts';
import { assignmentOf } from './policy.ts';
import { assignedHost, matchDisks } from './where.ts';

/**
 * What the CLI accepts as a VM argument: an id, or any name Nova allows (up to
 * 255 characters, no control characters). A name never reaches a command's argv:
 * it is matched against the inventory's names on the host.
 */
export const DiskRef = z
  .string()
  .min(1, 'a VM id or name')
  .max(255, 'a VM id or name of at most 255 characters')
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'a VM id or name without control characters');

export interface ResolvedDisk {
  id: string;
  /** '' when the inventory has none, or the disk is not in it. */
  name: string;
  projectId?: string | undefined;
  /** The host project_assignments gives its project; undefined when ignored, unassigned or unknown. */
  assignedHost?: string | undefined;
  /** How it was found: in the inventory, or taken as an id the inventory does not list (a deleted VM's backups). */
  via: 'inventory' | 'id';
}

export interface Candidate {
  id: string;
  name: string;
  project: string;
  host: string;
}

/** One line per candidate, as the refusal lists them: `id  project  host`. */
export function candidateLines(candidates: readonly Candidate[]): string[] {
  const width = (pick: (c: Candidate) => string) => Math.max(0, ...candidates.map((c) => pick(c).length));
  const [id, project] = [width((c) => c.id), width((c) => c.project)];
  return candidates.map((c) => `  ${c.id.padEnd(id)}  project ${c.project.padEnd(project)}  host ${c.host}`);
}

export interface ResolveOptions {
  /** What the argument names, for messages: VM, volume or image. */
  noun: string;
  /** Accept a well-formed id the inventory lacks (ls, restore, rescue: the VM may be gone, its backups not). */
  allowUnlisted: boolean;
}

/**
 * The one disk `ref` names among the inventory's `matches` (the disks whose id or
 * name is `ref`). An exact id wins over names, so an id always names its disk even
 * when another disk is called by it. Several disks of that name: AmbiguousNameError
 * listing them (exit 2). None: the id itself when allowed and well-formed, else
 * UnknownVmError (exit 3).
 */
export function resolveDisk(ref: string, matches: readonly InventoryDisk[], assignments: ProjectAssignments, options: ResolveOptions): ResolvedDisk {
  const found = matchDisks(matches, ref);
  const withHost = (d: InventoryDisk) => ({ ...d, assignedHost: d.projectId === undefined ? undefined : assignedHost(assignmentOf(d.projectId, assignments)) });
  if (found.length === 1) {
    const d = withHost(found[0]!);
    return { id: d.id, name: d.name, projectId: d.projectId, assignedHost: d.assignedHost, via: 'inventory' };
  }
  if (found.length > 1) {
    const candidates = found
      .map(withHost)
      .map((d) => ({ id: d.id, name: d.name, project: d.projectId ?? '-', host: d.assignedHost ?? '-' }))
      .sort((a, b) => a.id.localeCompare(b.id));
    throw new AmbiguousNameError(
      `${candidates.length} ${options.noun}s are named '${ref}'; nothing was done:\n${candidateLines(candidates).join('\n')}`,
      candidates,
      `Name the ${options.noun} by its id.`,
    );
  }
  if (options.allowUnlisted && VmId.safeParse(ref).success) return { id: ref, name: '', via: 'id' };
  throw new UnknownVmError(`no ${options.noun} with the id or name '${ref}' in the inventory; nothing was done`, `Check the spelling; \`vmbackup where PROJECT\` lists a project's ${options.noun}s.`);
}
