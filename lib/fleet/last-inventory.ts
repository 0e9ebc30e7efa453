// The last inventory a backup host saw of each workload, kept in its state_dir
// (activities/inventory/last-inventory-file.ts): the reference `remove-unhandled`
// measures a shrink against, and when each disk was first seen missing, which
// starts its backups' grace. Pure functions of the record and a new listing.
import { z } from 'zod';
import { Workload } from '../naming.ts';

/** A missing disk older than this is forgotten; its backups, if still there, get a new grace from the next remove-unhandled. */
const FORGET_MISSING_AFTER_DAYS = 400;

export const LastInventory = z.object({
  workload: Workload,
  driver: z.string(),
  takenAt: z.string(),
  /** Every disk id the inventory listed. */
  ids: z.array(z.string()),
  /**
   * Disk id → when it was first seen missing: the first inventory without it after
   * one that listed it, or the first `remove-unhandled` that found its backups without it.
   */
  missingSince: z.record(z.string(), z.string()),
});
export type LastInventory = z.infer<typeof LastInventory>;

export interface InventoryListing {
  workload: Workload;
  driver: string;
  takenAt: string;
  ids: readonly string[];
}

export interface Shrink {
  /** Disks the reference listed, and when it was taken. */
  before: number;
  since: string;
  /** Of those, how many the new listing lacks, and their share of `before`. */
  vanished: number;
  share: number;
  listed: number;
}

/** How far `listing` shrank since the reference `last`. */
export function shrinkSince(last: LastInventory, listing: InventoryListing): Shrink {
  const now = new Set(listing.ids);
  const vanished = last.ids.filter((id) => !now.has(id)).length;
  return { before: last.ids.length, since: last.takenAt, vanished, share: last.ids.length === 0 ? 0 : vanished / last.ids.length, listed: listing.ids.length };
}

/** Whether a shrink is more than `maxShare` of the reference: too sharp to take on the inventory's word. */
export const isSharpShrink = (shrink: Shrink, maxShare: number): boolean => shrink.share > maxShare;

/**
 * The record after `listing` (which passed the shrink check). A disk of `last`
 * that the listing lacks, or one of `alsoMissing` (disks with backups and no
 * entry), is missing from now on unless it already was; one listed again is not.
 */
export function advanceInventory(last: LastInventory | undefined, listing: InventoryListing, alsoMissing: readonly string[] = []): LastInventory {
  const listed = new Set(listing.ids);
  const forgetBefore = Date.parse(listing.takenAt) - FORGET_MISSING_AFTER_DAYS * 86_400_000;
  const missingSince: Record<string, string> = {};
  for (const [id, since] of Object.entries(last?.missingSince ?? {})) {
    if (!listed.has(id) && Date.parse(since) >= forgetBefore) missingSince[id] = since;
  }
  for (const id of [...(last?.ids ?? []), ...alsoMissing]) {
    if (!listed.has(id)) missingSince[id] ??= listing.takenAt;
  }
  return { workload: listing.workload, driver: listing.driver, takenAt: listing.takenAt, ids: [...listing.ids], missingSince };
}
