// Which backups in one host's store belong to disks that host no longer
// handles: the VM, volume or image was deleted (gone from the inventory), or its
// project is now backed up on another host or ignored. A pure function of the
// store's versions, the inventory and the assignments, decided with the same
// policy the nightly job uses, so `remove-unhandled` never removes what tonight
// would back up again. Anything it cannot decide for certain is kept, and says why.
import { projectFromTags } from '../naming.ts';
import type { ProjectAssignments } from '../config/schema.ts';
import { UnsafeInventoryError } from '../errors.ts';
import { diskIdFromImage, type Workload } from '../naming.ts';
import { isSharpShrink, type Shrink } from './last-inventory.ts';
import { assignmentOf } from './policy.ts';

export interface StoreVersion {
  uid: string;
  /** The RBD image the version was made of. */
  name: string;
  date: string;
  sizeBytes: number;
  protected: boolean;
  valid: boolean;
  tags: readonly string[];
}

/** `deleted`: gone from the inventory; `moved`: its project is backed up on another host; `ignored`: its project is ignored. */
export type UnhandledCode = 'deleted' | 'moved' | 'ignored';

/**
 * Why the versions of a disk that may look unhandled stay:
 * `recently-deleted`: deleted less than its workload's live_for_days ago (so `rescue` stays possible);
 * `unknown-disk`: the name is no disk of a configured workload;
 * `no-project` / `unassigned`: no host can be told from the assignments;
 * `backup-running`: a backup of it runs on this host now;
 * `protected`: every version that would go is protected.
 * `last-valid`: its only version that would go is its last valid one, kept unless named (`--disk NAME --include-last`).
 */
export type KeptCode = 'recently-deleted' | 'unknown-disk' | 'no-project' | 'unassigned' | 'backup-running' | 'protected' | 'last-valid';

export interface UnhandledDisk {
  /** The RBD image (the versions' name). */
  disk: string;
  workload: Workload;
  id: string;
  project?: string | undefined;
  code: UnhandledCode;
  reason: string;
  /** The versions to remove, oldest first; protected ones are not among them. */
  versions: Array<{ uid: string; date: string; sizeBytes: number }>;
  /** Sum of their sizes (logical: the store dedups, so it frees less). */
  bytes: number;
  /** Protected versions of this disk, kept. */
  protectedKept: number;
  /** Its last valid version is among `versions`: the removal may take it (deleted, or named with --include-last). */
  lastValidGoes: boolean;
  /** The last valid version, kept: the project moved or is ignored, and the operator did not name the disk. */
  lastValidKept?: string | undefined;
}

export interface KeptDisk {
  disk: string;
  code: KeptCode;
  reason: string;
  versions: number;
}

export interface UnhandledPlan {
  remove: UnhandledDisk[];
  kept: KeptDisk[];
}

/** A workload's inventory: disk id → its project (undefined when the inventory knows none). */
export type InventoryProjects = ReadonlyMap<string, string | undefined>;

export interface UnhandledPolicy {
  host: string;
  assignments: ProjectAssignments;
  /** The inventory of every configured workload, by workload; one left out has its versions kept. */
  inventories: Partial<Record<Workload, InventoryProjects>>;
  /** Inventory driver, for the reason text. */
  driver: string;
  /** By workload: disk id → when it was first seen missing (lib/fleet/last-inventory.ts); a deleted disk not in it went missing `now`. */
  missingSince: Partial<Record<Workload, Readonly<Record<string, string>>>>;
  /** By workload: days a deleted disk's backups stay after it went missing (the workload's live_for_days). */
  graceDays: Partial<Record<Workload, number>>;
  /** ISO time the plan is made at. */
  now: string;
  /** Disks (version names) of a moved or ignored project whose last valid version may go too: the operator named them. */
  includeLast?: readonly string[];
}

/** The disk a version name is a backup of, trying the configured workloads' naming in turn; undefined for any other name. */
export function diskOfVersion(name: string, workloads: readonly Workload[]): { workload: Workload; id: string } | undefined {
  // Images come last: Glance's naming is any name, so it must not claim a Nova or Cinder one.
  for (const workload of ['vms', 'volumes', 'images'] as const) {
    if (!workloads.includes(workload)) continue;
    const id = diskIdFromImage(workload, name);
    if (id !== undefined) return { workload, id };
  }
  return undefined;
}

/** Workloads whose versions are in `versions` and whose inventory is therefore needed. */
export function workloadsToCheck(versions: readonly StoreVersion[], configured: readonly Workload[]): Workload[] {
  const needed = new Set<Workload>();
  for (const v of versions) {
    const disk = diskOfVersion(v.name, configured);
    if (disk) needed.add(disk.workload);
  }
  return configured.filter((w) => needed.has(w));
}

/** Refuses an empty inventory for a workload the store holds backups of (see UnsafeInventoryError). */
export function assertInventoryPlausible(workload: Workload, listed: number, versionsOfWorkload: number, driver: string): void {
  if (listed > 0 || versionsOfWorkload === 0) return;
  throw new UnsafeInventoryError(
    `the ${workload} inventory (${driver} driver) lists no disk at all while this store holds ${versionsOfWorkload} backups of ${workload}: refusing to treat them all as deleted; nothing was removed`,
    'Check the inventory (OpenStack credentials and scope, or inventory.file); `vmbackup where PROJECT` shows what it sees. If every disk really is gone, remove the versions with `backy2 rm`.',
  );
}

/**
 * Refuses an inventory that lacks more than `maxShare` of the disks the last one
 * listed: a partial answer, a wrong scope or an API hiccup looks exactly like a
 * mass deletion, and only the operator can tell them apart.
 */
export function assertNoSharpShrink(workload: Workload, shrink: Shrink | undefined, maxShare: number, where: { driver: string; host: string; file: string }): void {
  if (shrink === undefined || !isSharpShrink(shrink, maxShare)) return;
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  throw new UnsafeInventoryError(
    `the ${workload} inventory (${where.driver} driver) lists ${shrink.listed} disks; ${shrink.vanished} of the ${shrink.before} listed by the last inventory (${shrink.since}) are gone, ${pct(shrink.share)}, more than inventory.max_vanished_share (${pct(maxShare)}): ` +
      `refusing to treat them as deleted; nothing was removed. Check the inventory (OpenStack credentials and scope, or inventory.file; \`vmbackup where PROJECT\` shows what it sees). ` +
      `If those disks really were deleted, accept this inventory: remove ${where.file} on ${where.host} and run again.`,
  );
}

/** `running`: image → workflow id of a backup running on this host now. */
export function planUnhandled(versions: readonly StoreVersion[], policy: UnhandledPolicy, running: ReadonlyMap<string, string> = new Map()): UnhandledPlan {
  const byDisk = new Map<string, StoreVersion[]>();
  for (const v of [...versions].sort((a, b) => a.date.localeCompare(b.date))) byDisk.set(v.name, [...(byDisk.get(v.name) ?? []), v]);
  const plan: UnhandledPlan = { remove: [], kept: [] };
  const configured = Object.keys(policy.inventories) as Workload[];
  for (const [name, list] of [...byDisk].sort(([a], [b]) => a.localeCompare(b))) {
    const keep = (code: KeptCode, reason: string) => plan.kept.push({ disk: name, code, reason, versions: list.length });
    const disk = diskOfVersion(name, configured);
    if (!disk) {
      keep('unknown-disk', `not the image of a VM, volume or image of a configured workload (${configured.join(', ')})`);
      continue;
    }
    const verdict = verdictOf(disk, list, policy);
    if (verdict === undefined) continue;
    if ('kept' in verdict) {
      keep(verdict.kept, verdict.reason);
      continue;
    }
    const backup = running.get(name);
    if (backup) {
      keep('backup-running', `a backup of it runs on this host now (${backup}); run again once it has ended`);
      continue;
    }
    const unprotected = list.filter((v) => !v.protected);
    if (unprotected.length === 0) {
      keep('protected', `${verdict.reason}, but every version is protected: unprotect them (backy2 unprotect) if they should go`);
      continue;
    }
    // A moved or ignored disk still exists: its last valid version is kept unless the operator names the disk
    // (its new host may not have backed it up yet). A protected valid version already stays.
    const keepsLast = verdict.code !== 'deleted' && !list.some((v) => v.protected && v.valid) && !(policy.includeLast ?? []).includes(name);
    const lastValid = keepsLast ? list.findLast((v) => v.valid) : undefined;
    const removable = unprotected.filter((v) => v !== lastValid);
    if (removable.length === 0) {
      keep('last-valid', `${verdict.reason}, but this is its last valid version: name the disk (--disk ${name} --include-last) if it should go`);
      continue;
    }
    plan.remove.push({
      disk: name,
      ...disk,
      project: verdict.project,
      code: verdict.code,
      reason: verdict.reason,
      versions: removable.map((v) => ({ uid: v.uid, date: v.date, sizeBytes: v.sizeBytes })),
      bytes: removable.reduce((sum, v) => sum + v.sizeBytes, 0),
      protectedKept: list.length - unprotected.length,
      lastValidGoes: removable.some((v) => v.valid) && !list.some((v) => v.valid && !removable.includes(v)),
      lastValidKept: lastValid?.uid,
    });
  }
  return plan;
}

type Verdict = { code: UnhandledCode; reason: string; project: string | undefined } | { kept: KeptCode; reason: string } | undefined;

/** Undefined: this host still handles the disk. */
function verdictOf(disk: { workload: Workload; id: string }, list: readonly StoreVersion[], policy: UnhandledPolicy): Verdict {
  const inventory = policy.inventories[disk.workload]!;
  // The newest version that records one: a VM may have moved between projects.
  const tagged = list.map((v) => projectFromTags(v.tags)).findLast((p) => p !== undefined);
  if (!inventory.has(disk.id)) {
    const missingSince = policy.missingSince[disk.workload]?.[disk.id] ?? policy.now;
    const days = policy.graceDays[disk.workload] ?? 0;
    const until = Date.parse(missingSince) + days * 86_400_000;
    if (Date.parse(policy.now) < until) {
      return {
        kept: 'recently-deleted',
        reason: `${NOUN[disk.workload]} ${disk.id} is not in the inventory (${policy.driver} driver) since ${missingSince}; its backups stay until ${new Date(until).toISOString()} (workloads.${disk.workload}.live_for_days = ${days}), so it can still be rescued`,
      };
    }
    return { code: 'deleted', reason: `${NOUN[disk.workload]} ${disk.id} is not in the inventory (${policy.driver} driver) since ${missingSince}`, project: tagged };
  }
  // Images are backed up by every host that schedules them, whatever their owner (as the nightly plan does).
  if (disk.workload === 'images') return undefined;
  const project = inventory.get(disk.id) ?? tagged;
  if (project === undefined) return { kept: 'no-project', reason: 'no project known (none in the inventory, no project_ tag): which host handles it cannot be told' };
  const assignment = assignmentOf(project, policy.assignments);
  switch (assignment.kind) {
    case 'unassigned':
      // A config without assignments is not an order to remove everything.
      return { kept: 'unassigned', reason: `project ${project} is assigned to no host (no project_assignments.default)` };
    case 'ignored':
      return { code: 'ignored', reason: `project ${project} is ignored (${assignment.rule})`, project };
    case 'host':
      return assignment.host === policy.host ? undefined : { code: 'moved', reason: `project ${project} is backed up on ${assignment.host} (${assignment.rule})`, project };
  }
}

const NOUN: Record<Workload, string> = { vms: 'VM', volumes: 'volume', images: 'image' };
