// This host's dangling snapshots: found, and removed on request. Only names
// with this host's suffix are looked at; protected ones and those of a disk
// whose backup runs right now are reported and kept.
import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { type DanglingSnapshot, danglingOf, isWorkloadDisk } from '../lib/operations/dangling-snapshots.ts';
import { isOwnSnapshot, type Workload } from '../lib/naming.ts';
import { isNotFound, isProtected } from './ceph/rbd.ts';
import { InvalidInputError } from '../lib/errors.ts';
import type { HostDeps } from './host-deps.ts';
import { runningBackups } from './running-backups.ts';

export function createSnapshotActivities(deps: HostDeps, visibility: { temporal: Client }) {
  const { rbd, engine, host } = deps;
  return {
    /** Changes nothing. */
    async findDanglingSnapshots(input: { targets: Array<{ workload: Workload; pool: string }> }): Promise<DanglingSnapshot[]> {
      const seen = new Set<string>();
      const disks: Array<{ pool: string; image: string; snapshots: Array<{ name: string; protected: boolean }> }> = [];
      for (const { workload, pool } of input.targets) {
        for (const image of await rbd.listImages(pool)) {
          // Two workloads may share a pool; an image is looked at once.
          if (seen.has(`${pool}/${image}`) || !isWorkloadDisk(workload, image)) continue;
          seen.add(`${pool}/${image}`);
          try {
            disks.push({ pool, image, snapshots: await rbd.listSnapshots(pool, image) });
          } catch (err) {
            if (!isNotFound(err)) throw err; // removed since the listing: nothing of it to clean
          }
        }
      }
      // Versions and running backups are read after the snapshots: a backup that ends
      // in between shows its version, and one that starts after makes a snapshot not listed here.
      const versions = await engine.listVersions();
      const running = await runningBackups(visibility.temporal, host.name);
      return disks.flatMap((d) => danglingOf(d, d.snapshots, versions, host.name, running.get(d.image), new Date()));
    },

    /**
     * A lost host's snapshots on a disk this host has taken over: they only served
     * the lost host's incrementals. Removed only while this host holds a valid
     * version of the disk (checked here, since this deletes); protected ones stay.
     */
    async removeLostHostSnapshots(input: { pool: string; image: string; from: string }): Promise<{ removed: string[]; kept: string[] }> {
      if (input.from === host.name) throw new InvalidInputError(`${host.name} does not remove its own snapshots as a lost host's`);
      if (!(await engine.listVersions(input.image)).some((v) => v.valid)) {
        throw new InvalidInputError(`no valid version of ${input.image} in ${host.name}'s store: ${input.from}'s snapshots on it stay`);
      }
      let snapshots: Array<{ name: string; protected: boolean }>;
      try {
        snapshots = await rbd.listSnapshots(input.pool, input.image);
      } catch (err) {
        if (isNotFound(err)) return { removed: [], kept: [] }; // the disk is gone: nothing of it left to remove
        throw err;
      }
      const removed: string[] = [];
      const kept: string[] = [];
      for (const s of snapshots.filter((s) => isOwnSnapshot(s.name, input.from))) {
        if (s.protected) {
          kept.push(s.name);
          continue;
        }
        try {
          log.info(`removing lost host ${input.from}'s snapshot ${input.pool}/${input.image}@${s.name}`);
          await rbd.removeSnapshot(input.pool, input.image, s.name);
          removed.push(s.name);
        } catch (err) {
          if (isNotFound(err)) removed.push(s.name);
          else if (isProtected(err)) kept.push(s.name);
          else throw err;
        }
      }
      return { removed, kept };
    },

    /** Removes the given snapshots that are dangling; one already gone counts as removed. */
    async removeDanglingSnapshots(input: { snapshots: DanglingSnapshot[] }): Promise<{ removed: DanglingSnapshot[]; kept: DanglingSnapshot[] }> {
      const removed: DanglingSnapshot[] = [];
      const kept: DanglingSnapshot[] = [];
      for (const s of input.snapshots) {
        // The workflow passes only `dangling` ones of this host; checked again because this one deletes.
        if (s.state !== 'dangling' || !isOwnSnapshot(s.snapshot, host.name)) {
          kept.push(s);
          continue;
        }
        try {
          log.info(`removing dangling snapshot ${s.pool}/${s.image}@${s.snapshot}`);
          await rbd.removeSnapshot(s.pool, s.image, s.snapshot);
          removed.push(s);
        } catch (err) {
          if (isNotFound(err)) removed.push(s);
          else if (isProtected(err)) kept.push({ ...s, state: 'protected', reason: 'protected since it was found' });
          else throw err;
        }
      }
      return { removed, kept };
    },
  };
}

export type SnapshotActivities = ReturnType<typeof createSnapshotActivities>;
