// The figures of `vmbackup summary`, from every host's versions. Sizes are
// logical: the sum of each version's disk size, as if every version were a
// full copy. The stores dedup blocks between versions, so they use less.
import { projectFromTags } from '../lib/naming.ts';

export interface SummaryVersion {
  host: string;
  /** The disk: the RBD image the version was made of. */
  name: string;
  sizeBytes: number;
  valid: boolean;
  date: string;
  tags: readonly string[];
}

export interface SummaryDisk {
  name: string;
  project: string;
  hosts: string[];
  versions: number;
  logicalBytes: number;
  newest: string;
}

export interface BackupSummary {
  /** Sum of the versions' disk sizes: what full copies would take, not what the stores use. */
  logicalBytes: number;
  disks: number;
  versions: number;
  invalidVersions: number;
  versionsPerDisk: { min: number; median: number; max: number } | undefined;
  hosts: Array<{ host: string; disks: number; versions: number; logicalBytes: number }>;
  topProjects: Array<{ project: string; disks: number; versions: number; logicalBytes: number }>;
  topDisks: SummaryDisk[];
}

/** Project of a version: its `project_<id>` tag, or 'unknown'. */
export const projectOf = (v: { tags: readonly string[] }) => projectFromTags(v.tags) ?? 'unknown';

export function summarize(all: readonly SummaryVersion[], filter: { project?: string | undefined; host?: string | undefined } = {}, top = 10): BackupSummary {
  const versions = all.filter((v) => (filter.host === undefined || v.host === filter.host) && (filter.project === undefined || projectOf(v) === filter.project));
  const disks = new Map<string, SummaryDisk>();
  for (const v of versions) {
    const d = disks.get(v.name) ?? { name: v.name, project: projectOf(v), hosts: [], versions: 0, logicalBytes: 0, newest: v.date };
    d.versions++;
    d.logicalBytes += v.sizeBytes;
    if (!d.hosts.includes(v.host)) d.hosts.push(v.host);
    // A disk's project is the one its newest version records (a VM may have moved).
    if (v.date >= d.newest) {
      d.newest = v.date;
      d.project = projectOf(v);
    }
    disks.set(v.name, d);
  }
  const projects = new Map<string, Totals>();
  for (const d of disks.values()) add(projects, d.project, { disks: 1, versions: d.versions, logicalBytes: d.logicalBytes });
  const hosts = new Map<string, Totals>();
  for (const v of versions) add(hosts, v.host, { disks: 0, versions: 1, logicalBytes: v.sizeBytes });
  for (const d of disks.values()) for (const h of d.hosts) hosts.get(h)!.disks++;
  const bySize = (a: { logicalBytes: number }, b: { logicalBytes: number }) => b.logicalBytes - a.logicalBytes;
  const counts = [...disks.values()].map((d) => d.versions).sort((a, b) => a - b);
  return {
    logicalBytes: versions.reduce((sum, v) => sum + v.sizeBytes, 0),
    disks: disks.size,
    versions: versions.length,
    invalidVersions: versions.filter((v) => !v.valid).length,
    versionsPerDisk: counts.length ? { min: counts[0]!, median: median(counts), max: counts.at(-1)! } : undefined,
    hosts: [...hosts].map(([host, g]) => ({ host, ...g })).sort((a, b) => a.host.localeCompare(b.host)),
    topProjects: [...projects].map(([project, g]) => ({ project, ...g })).sort(bySize).slice(0, top),
    topDisks: [...disks.values()].sort(bySize).slice(0, top),
  };
}

interface Totals {
  disks: number;
  versions: number;
  logicalBytes: number;
}

function add(totals: Map<string, Totals>, key: string, more: Totals): void {
  const t = totals.get(key) ?? { disks: 0, versions: 0, logicalBytes: 0 };
  t.disks += more.disks;
  t.versions += more.versions;
  t.logicalBytes += more.logicalBytes;
  totals.set(key, t);
}

/** Median of sorted numbers; the mean of the middle two for an even count. */
function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
