// What a host's store says of its health, from its versions, the last
// inventory of each workload and its snapshots in Ceph: pure, so the worker's
// exporter and its unit test count the same way.
import type { LastInventory } from '../fleet/last-inventory.ts';
import { isOwnSnapshot, parseBackupSnapshotName, type Workload, workloadImage } from '../naming.ts';
import { MIN_LEFTOVER_AGE_MS } from '../operations/dangling-snapshots.ts';

export interface StoredVersion {
  name: string;
  snapshotName: string;
  date: string;
  sizeBytes: number;
  valid: boolean;
}

export interface StoreFacts {
  validVersions: number;
  invalidVersions: number;
  /** Sum of the valid versions' disk sizes (the store dedups, so it uses less). */
  logicalBytes: number;
  /** Per workload with an inventory: disks still listed that have a version here, and of those how many are stale. */
  workloads: Array<{ workload: Workload; disks: number; stale: number }>;
}

/**
 * A disk is stale when the last inventory still lists it, it has versions in
 * this store (so it is, or was, this host's), and its newest valid version is
 * older than `staleDays`. A disk this host never backed up is not counted here:
 * the night reports it as failed. A deleted disk drops out with the inventory.
 */
export function storeFacts(versions: readonly StoredVersion[], inventories: readonly LastInventory[], staleDays: number, now: Date): StoreFacts {
  const newestValid = new Map<string, number>();
  const anyVersion = new Set<string>();
  let validVersions = 0;
  let logicalBytes = 0;
  for (const v of versions) {
    anyVersion.add(v.name);
    if (!v.valid) continue;
    validVersions += 1;
    logicalBytes += v.sizeBytes;
    newestValid.set(v.name, Math.max(newestValid.get(v.name) ?? 0, Date.parse(v.date)));
  }
  const before = now.getTime() - staleDays * 86_400_000;
  const workloads = inventories.map((inv) => {
    const images = inv.ids.map((id) => workloadImage(inv.workload, id)).filter((image) => anyVersion.has(image));
    return { workload: inv.workload, disks: images.length, stale: images.filter((image) => (newestValid.get(image) ?? 0) < before).length };
  });
  return { validVersions, invalidVersions: versions.length - validVersions, logicalBytes, workloads };
}

/**
 * This host's snapshots that no valid version was made from and that are old
 * enough not to belong to a backup under way: what `vmbackup snapshots dangling` lists.
 */
export function leftBehindSnapshots(snapshots: ReadonlyArray<{ image: string; snapshot: string }>, versions: readonly StoredVersion[], host: string, now: Date): number {
  const made = new Set(versions.filter((v) => v.valid).map((v) => `${v.name}@${v.snapshotName}`));
  return snapshots.filter((s) => {
    if (!isOwnSnapshot(s.snapshot, host) || made.has(`${s.image}@${s.snapshot}`)) return false;
    const takenAt = parseBackupSnapshotName(s.snapshot)?.takenAt.getTime() ?? 0;
    return now.getTime() - takenAt > MIN_LEFTOVER_AGE_MS;
  }).length;
}
