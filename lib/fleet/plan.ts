// The nightly decision for every disk of one workload on one host: back it up,
// or skip it with the reason an operator reads in the summary. A pure function
// of the inventory and the config; the host makes it (activity planNight), next
// to an inventory that can hold tens of thousands of disks.
import { z } from 'zod';
import type { LoadedConfig } from '../config/load.ts';
import type { Exclusions, ProjectAssignments } from '../config/schema.ts';
import { InvalidInputError } from '../errors.ts';
import type { Workload } from '../naming.ts';
import type { InventoryDisk } from './inventory.ts';
import { assignmentOf, exclusionOf } from './policy.ts';

export interface FleetPolicy {
  host: string;
  workload: Workload;
  pool: string;
  liveForDays: number;
  concurrency: number;
  assignments: ProjectAssignments;
  exclusions: { servers: Exclusions; volumes: Exclusions };
}

/** The part of this host's config the nightly decision needs. */
export function fleetPolicyOf(config: LoadedConfig, hostName: string, workload: Workload): FleetPolicy {
  const pool = config.workloads[workload];
  if (!pool) throw new InvalidInputError(`${config.source}: workloads.${workload} is not configured; nothing to back up`);
  const host = config.hosts.find((h) => h.name === hostName)!;
  return {
    host: host.name,
    workload,
    pool: pool.pool,
    liveForDays: pool.live_for_days,
    concurrency: host.concurrency,
    assignments: config.project_assignments,
    exclusions: config.exclude,
  };
}

/** Why a disk is not backed up tonight; `code` is stable (for scripts), `reason` is for people. */
export const SkipCode = z.enum([
  'not-on-ceph',
  'building',
  'backing-up',
  'shelved',
  'no-project',
  'ignored',
  'unassigned',
  'other-host',
  'excluded',
  'restore-running',
  'busy',
  'deleted',
  'has-backup',
]);
export type SkipCode = z.infer<typeof SkipCode>;

export const NightlyDisk = z.object({
  id: z.string(),
  name: z.string(),
  projectId: z.string().optional(),
  image: z.string(),
});
export type NightlyDisk = z.infer<typeof NightlyDisk>;

export const SkippedDisk = NightlyDisk.extend({ code: SkipCode, reason: z.string() });
export type SkippedDisk = z.infer<typeof SkippedDisk>;

export interface NightlyPlan {
  backup: NightlyDisk[];
  skipped: SkippedDisk[];
}

/** `running`: disk id → workflow id of a restore under way (a backup now would copy a half-restored disk). */
export function planNightly(disks: readonly InventoryDisk[], policy: FleetPolicy, running: ReadonlyMap<string, string> = new Map()): NightlyPlan {
  const plan: NightlyPlan = { backup: [], skipped: [] };
  const sorted = [...disks].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  for (const disk of sorted) {
    const item: NightlyDisk = { id: disk.id, name: disk.name, projectId: disk.projectId, image: disk.image };
    const skip = skipOf(disk, policy, running);
    if (skip) plan.skipped.push({ ...item, ...skip });
    else plan.backup.push(item);
  }
  return plan;
}

function skipOf(disk: InventoryDisk, policy: FleetPolicy, running: ReadonlyMap<string, string>): { code: SkipCode; reason: string } | undefined {
  const { workload } = policy;
  if (!disk.onCeph) return { code: 'not-on-ceph', reason: `no image ${policy.pool}/${disk.image} on Ceph` };
  if (workload === 'vms' && disk.status?.toUpperCase() === 'BUILD') return { code: 'building', reason: 'VM is in BUILD' };
  if (workload === 'volumes' && disk.status === 'backing-up') return { code: 'backing-up', reason: 'volume is backing-up (a Cinder backup runs)' };
  if (workload === 'images') {
    // Shelved instances' snapshots come back with the instance; the tooling this replaces never kept them.
    if (/shelved/i.test(disk.name)) return { code: 'shelved', reason: `image of a shelved instance ('${disk.name}')` };
  } else {
    if (!disk.projectId) return { code: 'no-project', reason: 'no project' };
    const assignment = assignmentOf(disk.projectId, policy.assignments);
    if (assignment.kind === 'ignored') return { code: 'ignored', reason: `project ${disk.projectId} is ignored (${assignment.rule})` };
    if (assignment.kind === 'unassigned') return { code: 'unassigned', reason: `project ${disk.projectId} is assigned to no host (no project_assignments.default)` };
    if (assignment.host !== policy.host) return { code: 'other-host', reason: `project ${disk.projectId} is backed up on ${assignment.host} (${assignment.rule})` };
    const rule = exclusionOf(disk.name, disk.projectId, workload === 'vms' ? policy.exclusions.servers : policy.exclusions.volumes, workload === 'vms' ? 'servers' : 'volumes');
    if (rule) return { code: 'excluded', reason: `excluded by ${rule}` };
  }
  const restore = running.get(disk.id);
  if (restore) return { code: 'restore-running', reason: `a restore is running (${restore})` };
  return undefined;
}
