// Tonight's work of one host, per project, from its planned disks and its
// store's per-version stats. Runs on the host (activity forecastNight), next to
// an inventory and a store of thousands of disks; only per-project sums leave it.
import type { NightlyDisk } from '../fleet/plan.ts';
import { addWork, NO_WORK, type Work } from './model.ts';

/** One version's stats as backy2 recorded them. */
export interface VersionStat {
  uid: string;
  /** Version name: the RBD image. */
  name: string;
  date: string;
  sizeBytes: number;
  bytesRead: number;
  durationSeconds: number;
  /** Whether it was a full copy, by the version's kind tag; undefined once the version is gone (then judged by its bytes). */
  full?: boolean | undefined;
}

/** Incremental versions of a disk whose bytes read make its changed-bytes estimate. */
export const RECENT_VERSIONS = 3;
/** A version of unknown kind that read this share of its disk or more was a full copy, not a night's changes. */
const FULL_READ_SHARE = 0.9;
/** Changed share of a disk assumed when no disk of the host has an incremental yet. */
export const DEFAULT_CHANGED_SHARE = 0.05;
/** Projects one host reports at most; the rest are summed into one row that no move proposes. */
export const PROJECTS_MAX = 2000;
export const OTHER_PROJECTS = '(other projects)';

/**
 * Per-lane read rate of the store: bytes read over seconds copying, of the
 * versions since `since`. backy2 records whole seconds, cut down: a copy under
 * a second says only "fast", so it is left out, and half a second is added
 * back to the others. Undefined when no copy took a second (small disks: the
 * fixed cost then carries everything).
 */
export function readRate(stats: readonly VersionStat[], since: string): number | undefined {
  let bytes = 0;
  let seconds = 0;
  for (const s of stats) {
    if (s.date < since || s.durationSeconds < 1) continue;
    bytes += s.bytesRead;
    seconds += s.durationSeconds + 0.5;
  }
  return seconds > 0 && bytes > 0 ? bytes / seconds : undefined;
}

interface DiskHistory {
  sizeBytes: number;
  /** Mean bytes read by the newest RECENT_VERSIONS incrementals; undefined with none. */
  changedBytes: number | undefined;
}

/** Each disk's size and recent changed bytes, by version name. */
export function diskHistories(stats: readonly VersionStat[]): Map<string, DiskHistory> {
  const byName = new Map<string, VersionStat[]>();
  for (const s of stats) {
    const list = byName.get(s.name) ?? [];
    list.push(s);
    byName.set(s.name, list);
  }
  const out = new Map<string, DiskHistory>();
  for (const [name, list] of byName) {
    list.sort((a, b) => b.date.localeCompare(a.date));
    const incrementals = list.filter((s) => (s.full === undefined ? s.bytesRead < FULL_READ_SHARE * s.sizeBytes : !s.full)).slice(0, RECENT_VERSIONS);
    const changedBytes = incrementals.length ? incrementals.reduce((sum, s) => sum + s.bytesRead, 0) / incrementals.length : undefined;
    out.set(name, { sizeBytes: list[0]!.sizeBytes, changedBytes });
  }
  return out;
}

/** Median share of its size a disk's night reads, over the disks with incrementals; the default with none. */
export function changedShare(histories: ReadonlyMap<string, DiskHistory>): number {
  const shares = [...histories.values()]
    .filter((h) => h.changedBytes !== undefined && h.sizeBytes > 0)
    .map((h) => h.changedBytes! / h.sizeBytes)
    .sort((a, b) => a - b);
  return shares.length ? shares[Math.floor(shares.length / 2)]! : DEFAULT_CHANGED_SHARE;
}

export interface ProjectWork {
  project: string;
  /** Tonight: full size for a disk with no valid version here, its changed bytes otherwise. */
  tonight: Work;
  /** A night once every disk has a version (what the project costs on any host after its first night there). */
  steady: Work;
  /** Disks of the project with no valid version here: tonight copies them whole. */
  fullDisks: number;
  /** Sum of the disks' sizes: what a move's first night on another host reads. */
  sizeBytes: number;
  maxDiskSizeBytes: number;
}

/**
 * Tonight's disks summed per project. `valid`: version names with a valid
 * version in this store; `sizes`: image → bytes in Ceph (for a disk never backed up).
 */
export function projectWork(
  disks: readonly NightlyDisk[],
  histories: ReadonlyMap<string, DiskHistory>,
  valid: ReadonlySet<string>,
  sizes: ReadonlyMap<string, number>,
): ProjectWork[] {
  const share = changedShare(histories);
  const projects = new Map<string, ProjectWork>();
  for (const disk of disks) {
    const history = histories.get(disk.image);
    const size = sizes.get(disk.image) ?? history?.sizeBytes ?? 0;
    const changed = history?.changedBytes ?? size * share;
    const full = !valid.has(disk.image);
    const tonightBytes = full ? size : changed;
    const key = disk.projectId ?? 'unknown';
    const p = projects.get(key) ?? { project: key, tonight: NO_WORK, steady: NO_WORK, fullDisks: 0, sizeBytes: 0, maxDiskSizeBytes: 0 };
    p.tonight = addWork(p.tonight, { disks: 1, bytes: tonightBytes, maxDiskBytes: tonightBytes });
    p.steady = addWork(p.steady, { disks: 1, bytes: changed, maxDiskBytes: changed });
    p.fullDisks += full ? 1 : 0;
    p.sizeBytes += size;
    p.maxDiskSizeBytes = Math.max(p.maxDiskSizeBytes, size);
    projects.set(key, p);
  }
  return boundProjects([...projects.values()]);
}

/** The PROJECTS_MAX largest projects by tonight's bytes, the rest summed into one row. */
export function boundProjects(list: ProjectWork[], max = PROJECTS_MAX): ProjectWork[] {
  list.sort((a, b) => b.tonight.bytes - a.tonight.bytes || b.tonight.disks - a.tonight.disks || a.project.localeCompare(b.project));
  if (list.length <= max) return list;
  const rest = list.slice(max - 1).reduce((sum, p) => ({
    project: OTHER_PROJECTS,
    tonight: addWork(sum.tonight, p.tonight),
    steady: addWork(sum.steady, p.steady),
    fullDisks: sum.fullDisks + p.fullDisks,
    sizeBytes: sum.sizeBytes + p.sizeBytes,
    maxDiskSizeBytes: Math.max(sum.maxDiskSizeBytes, p.maxDiskSizeBytes),
  }));
  return [...list.slice(0, max - 1), { ...rest, project: OTHER_PROJECTS }];
}
