// The dry run's per-disk view of a purge plan: every version of a disk with the
// rule that keeps it or the reason it goes. Bounded: a host's store can hold
// tens of thousands of versions, and the plan travels through the workflow's
// history (Temporal refuses payloads over 2 MB), so whole disks are listed in
// name order up to a budget and the rest are counted; `--disk` picks disks.
import type { KeptVersion, PurgeDecision } from './purge-policy.ts';

/** Versions listed per host at most (about 100 bytes each in the history). */
export const LISTING_BUDGET = 1000;

export interface ListedVersion {
  uid: string;
  date: string;
  /** What keeps it: the keep rule and slot (`keep-daily 3/7`) or the guard (`protected`, `newest-valid`, `too-young`, …). */
  keep?: string | undefined;
  /** Why it goes (`expired …`, `beyond keep rules (…)`), when it does. */
  remove?: string | undefined;
}

export interface DiskListing {
  name: string;
  /** Newest first. */
  versions: ListedVersion[];
}

export interface PurgeListing {
  disks: DiskListing[];
  /** Disks (and their versions) left out for the budget. */
  disksOmitted: number;
  versionsOmitted: number;
  /** Disks asked for by name that have no version in this store. */
  notFound: string[];
}

/** The listing of `decision`: the disks named in `only` (every disk when undefined), whole, up to `budget` versions. */
export function listByDisk(decision: PurgeDecision, only?: readonly string[], budget = LISTING_BUDGET): PurgeListing {
  const byName = new Map<string, ListedVersion[]>();
  const add = (name: string, v: ListedVersion) => {
    const disk = byName.get(name);
    if (disk) disk.push(v);
    else byName.set(name, [v]);
  };
  for (const v of decision.keep) add(v.name, { uid: v.uid, date: v.date, keep: keepText(v) });
  for (const v of decision.remove) add(v.name, { uid: v.uid, date: v.date, remove: v.reason });
  const wanted = only ? [...new Set(only)] : [...byName.keys()];
  const listing: PurgeListing = { disks: [], disksOmitted: 0, versionsOmitted: 0, notFound: wanted.filter((n) => !byName.has(n)) };
  let used = 0;
  for (const name of wanted.filter((n) => byName.has(n)).sort()) {
    const versions = byName.get(name)!.sort((a, b) => b.date.localeCompare(a.date) || b.uid.localeCompare(a.uid));
    if (used + versions.length > budget) {
      listing.disksOmitted++;
      listing.versionsOmitted += versions.length;
      continue;
    }
    used += versions.length;
    listing.disks.push({ name, versions });
  }
  return listing;
}

function keepText(v: KeptVersion): string {
  return v.rule ?? v.reason;
}
