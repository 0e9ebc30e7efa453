// The parts of `vmbackup where` that decide: a project's assignment in words,
// each disk's exclusion, the disk an operator's --vm names, and where a disk's
// backups actually are. Pure, so the CLI only fetches and prints.
import type { Exclusions } from '../config/schema.ts';
import type { InventoryDisk } from './inventory.ts';
import { type Assignment, exclusionOf } from './policy.ts';

/** `backup1 (project_assignments.default)`, `ignored (…)`, or `assigned to no host (…)`. */
export function describeAssignment(a: Assignment): string {
  switch (a.kind) {
    case 'host':
      return `${a.host} (${a.rule})`;
    case 'ignored':
      return `ignored (${a.rule})`;
    case 'unassigned':
      return 'assigned to no host (not listed, no project_assignments.default)';
  }
}

/** The host a disk goes to, or undefined for an ignored or unassigned project. */
export const assignedHost = (a: Assignment): string | undefined => (a.kind === 'host' ? a.host : undefined);

/** The exclusion rule a disk's name matches, by the nightly's rules for its workload (images have none). */
export function exclusionOfDisk(disk: Pick<InventoryDisk, 'name' | 'projectId'>, workload: 'vms' | 'volumes', exclude: { servers: Exclusions; volumes: Exclusions }): string | undefined {
  const key = workload === 'vms' ? 'servers' : 'volumes';
  return exclusionOf(disk.name, disk.projectId, exclude[key], key);
}

/** The disks `nameOrId` names: the one with that id, else every one with that name (names need not be unique). */
export function matchDisks<D extends Pick<InventoryDisk, 'id' | 'name'>>(disks: readonly D[], nameOrId: string): D[] {
  const byId = disks.filter((d) => d.id === nameOrId);
  return byId.length ? byId : disks.filter((d) => d.name === nameOrId);
}

export interface HostBackups {
  host: string;
  versions: number;
  /** Date of the newest version on that host. */
  newest: string;
  /** Versions backy2 marks invalid among them. */
  invalid: number;
}

/** Count and newest version per host, by host name. */
export function backupsPerHost(versions: ReadonlyArray<{ host: string; date: string; valid: boolean }>): HostBackups[] {
  const hosts = new Map<string, HostBackups>();
  for (const v of versions) {
    const h = hosts.get(v.host) ?? { host: v.host, versions: 0, newest: v.date, invalid: 0 };
    h.versions++;
    if (!v.valid) h.invalid++;
    if (v.date > h.newest) h.newest = v.date;
    hosts.set(v.host, h);
  }
  return [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host));
}
