// Read-only listings of this host (workflow hostListing): its whole store, one
// disk's snapshots, the disks over their policy. Computed and cut here, next to
// the store, so only a page crosses Temporal whatever the fleet's size.
import { findExcess } from '../lib/listings/excess.ts';
import { pageOf } from '../lib/listings/page.ts';
import type { HostListingInput, HostListingResult } from '../lib/operations/host-listing.ts';
import { isOwnSnapshot, parseBackupSnapshotName } from '../lib/naming.ts';
import { isNotFound } from './ceph/rbd.ts';
import type { HostDeps } from './host-deps.ts';

type Input = HostListingInput & { offset?: number };

export function createListingActivities(deps: Pick<HostDeps, 'engine' | 'rbd' | 'host'>) {
  const { engine, rbd, host } = deps;
  return {
    /** Changes nothing. */
    async readHostListing(input: Input): Promise<HostListingResult> {
      switch (input.listing) {
        case 'versions': {
          const versions = (await engine.listVersions()).sort((a, b) => b.date.localeCompare(a.date) || a.uid.localeCompare(b.uid));
          return { listing: 'versions', host: host.name, page: pageOf(versions, input.offset ?? 0, input.limit) };
        }
        case 'snapshots': {
          // Any host sees every host's snapshots: the suffix says whose backup made each.
          let exists = true;
          const snapshots = await rbd.listSnapshots(input.pool, input.image).catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
            exists = false;
            return [];
          });
          return {
            listing: 'snapshots',
            host: host.name,
            pool: input.pool,
            image: input.image,
            exists,
            snapshots: snapshots.map((s) => {
              const own = parseBackupSnapshotName(s.name);
              return { name: s.name, owner: own?.host, takenAt: own?.takenAt.toISOString() ?? isoTime(s.timestamp), protected: s.protected };
            }),
          };
        }
        case 'excess': {
          const own = new Map<string, number>();
          const seen = new Set<string>();
          for (const { pool } of input.targets) {
            // Two workloads may share a pool: counted once. One `rbd ls -l` per pool, not one call per disk.
            if (seen.has(pool)) continue;
            seen.add(pool);
            for (const s of await rbd.listPoolSnapshots(pool)) if (isOwnSnapshot(s.snapshot, host.name)) own.set(s.image, (own.get(s.image) ?? 0) + 1);
          }
          const disks = findExcess(await engine.listVersions(), own, input.policy);
          return { listing: 'excess', host: host.name, asOf: input.policy.asOf, page: pageOf(disks, input.offset ?? 0, input.limit) };
        }
      }
    },
  };
}
/** rbd's own snapshot time (`Thu Dec  3 04:27:40 2026`, the host's local time) as ISO; undefined when absent or unreadable. */
function isoTime(text: string | undefined): string | undefined {
  const t = text === undefined ? NaN : Date.parse(text);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export type ListingActivities = ReturnType<typeof createListingActivities>;
