// Where a backup host keeps the last inventory it saw of each workload
// (lib/fleet/last-inventory.ts): one JSON file per workload under its
// state_dir, so nights and remove-unhandled runs, on any worker of the host, read the same.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../lib/errors.ts';
import { advanceInventory, type InventoryListing, isSharpShrink, LastInventory, type Shrink, shrinkSince } from '../../lib/fleet/last-inventory.ts';
import type { Workload } from '../../lib/naming.ts';

export function lastInventoryFile(stateDir: string, workload: Workload): string {
  return join(stateDir, 'inventory', `${workload}.json`);
}

/** undefined when the host has none yet (or an operator removed it to accept a shrunken inventory). */
export function readLastInventory(stateDir: string, workload: Workload): LastInventory | undefined {
  const file = lastInventoryFile(stateDir, workload);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    raw = err;
  }
  const parsed = LastInventory.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${file}: not a record of the last inventory (${parsed.error.issues[0]?.message ?? 'invalid'}); remove it, the next inventory writes a new one`);
  return parsed.data;
}

/** Written to a name of its own and renamed: a crash, or two inventories at once, never leave half a file. */
export function writeLastInventory(stateDir: string, record: LastInventory): void {
  const file = lastInventoryFile(stateDir, record.workload);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID()}.tmp`;
  writeFileSync(tmp, JSON.stringify(record));
  renameSync(tmp, file);
}

/**
 * Compares a new listing with the host's last inventory of its workload and
 * records it, unless it lacks more than `maxShare` of the last one's disks: a
 * sharp shrink never becomes the reference (`recorded` is undefined then), so
 * it is refused again on every run until an operator accepts it (see assertNoSharpShrink).
 */
export function recordInventory(stateDir: string, listing: InventoryListing, maxShare: number, alsoMissing: readonly string[] = []): { shrink?: Shrink; recorded?: LastInventory } {
  const last = readLastInventory(stateDir, listing.workload);
  const shrink = last && shrinkSince(last, listing);
  if (shrink && isSharpShrink(shrink, maxShare)) return { shrink };
  const recorded = advanceInventory(last, listing, alsoMissing);
  writeLastInventory(stateDir, recorded);
  return { shrink, recorded };
}
