// `vmbackup show-excess`: the disks holding more than their policy allows, in
// one host's store and pools. Pure, so every rule is unit-tested without a store.
//
// Versions: more than the purge policy keeps (lib/purge-policy.ts with the keep
// rules of lib/keep-policy.ts), i.e. the versions the next purge at `asOf`
// would remove: a backlog the purge has not worked off (it stopped, or its
// Schedule is paused). Snapshots: more than one backup snapshot of this host on
// a disk (the runbook's rule: each backup leaves exactly one, yesterday's,
// for the next incremental; more leak Ceph space).
import type { EngineVersion } from '../../activities/engine/engine.ts';
import { decidePurge, type PurgePolicy, workloadOfVersionName } from '../purge-policy.ts';
import type { Workload } from '../naming.ts';

/** Backup snapshots one host may leave on one disk. */
export const SNAPSHOTS_PER_DISK_PER_HOST = 1;

export interface ExcessDisk {
  /** The disk's RBD image name, which is also its versions' name. */
  image: string;
  workload: Workload;
  versions: number;
  /** Versions beyond the policy: what the next purge would remove. */
  excessVersions: number;
  /** This host's backup snapshots of the disk. */
  snapshots: number;
  excessSnapshots: number;
}

/**
 * Every disk over its policy, most excess first (then by image). `ownSnapshots`:
 * image → this host's backup snapshots of it, across the configured pools.
 */
export function findExcess(versions: readonly EngineVersion[], ownSnapshots: ReadonlyMap<string, number>, policy: Omit<PurgePolicy, 'maxRemovals'>): ExcessDisk[] {
  const decision = decidePurge(versions, policy);
  const count = (names: Iterable<string>) => {
    const m = new Map<string, number>();
    for (const n of names) m.set(n, (m.get(n) ?? 0) + 1);
    return m;
  };
  const total = count(versions.map((v) => v.name));
  const removable = count(decision.remove.map((v) => v.name));
  const images = new Set([...removable.keys(), ...[...ownSnapshots].filter(([, n]) => n > SNAPSHOTS_PER_DISK_PER_HOST).map(([image]) => image)]);
  return [...images]
    .map((image) => {
      const snapshots = ownSnapshots.get(image) ?? 0;
      return {
        image,
        workload: workloadOfVersionName(image),
        versions: total.get(image) ?? 0,
        excessVersions: removable.get(image) ?? 0,
        snapshots,
        excessSnapshots: Math.max(0, snapshots - SNAPSHOTS_PER_DISK_PER_HOST),
      };
    })
    .sort((a, b) => b.excessVersions + b.excessSnapshots - (a.excessVersions + a.excessSnapshots) || a.image.localeCompare(b.image));
}
