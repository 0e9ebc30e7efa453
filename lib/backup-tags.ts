// Tags recorded on each backup version, as the runbook's store shows them:
// the kind (`full_backup` / `differential_backup`) and `b_daily`, `b_weekly`,
// `b_monthly` by backy2's own rule (see periodicTags).
// The lifespan is recorded as `expires_<YYYY-mm-dd>`: backy2 2.9 has no expiry
// column, and a tag travels with the version in the engine's own metadata.
// The owner's `project_<id>` tag is a naming convention: lib/naming.ts.
import type { BackupKind } from './operations/backup.ts';

export const KIND_TAGS: Record<BackupKind, string> = { full: 'full_backup', incremental: 'differential_backup' };
const EXPIRES_PREFIX = 'expires_';

export interface EarlierVersion {
  date: Date;
  tags: readonly string[];
}

/** Whole months from `a` to `b` (b later), as dateutil's relativedelta counts them. */
function monthsBetween(a: Date, b: Date): number {
  const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  return b.getUTCDate() < a.getUTCDate() ? months - 1 : months;
}

/**
 * `b_daily` / `b_weekly` / `b_monthly` for a backup made at `at`, by backy2's
 * own rule (its `_generate_auto_tags`): a tag is given when the disk's last
 * version carrying it is at least a day / 7 days / a calendar month older.
 */
export function periodicTags(at: Date, earlier: readonly EarlierVersion[]): string[] {
  const dayOf = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const last = (tag: string) => {
    const dates = earlier.filter((v) => v.tags.includes(tag)).map((v) => dayOf(v.date));
    return dates.length ? new Date(Math.max(...dates)) : undefined;
  };
  const today = new Date(dayOf(at));
  const days = (d: Date) => Math.round((today.getTime() - d.getTime()) / 86_400_000);
  const tags: string[] = [];
  const daily = last('b_daily');
  if (!daily || days(daily) > 0) tags.push('b_daily');
  const weekly = last('b_weekly');
  if (!weekly || Math.floor(days(weekly) / 7) > 0) tags.push('b_weekly');
  const monthly = last('b_monthly');
  if (!monthly || monthsBetween(monthly, today) > 0) tags.push('b_monthly');
  return tags;
}

export function expiryTag(at: Date, liveForDays: number): string {
  return EXPIRES_PREFIX + new Date(at.getTime() + liveForDays * 86_400_000).toISOString().slice(0, 10);
}

/** The expiry day recorded in a version's tags, if any. */
export function expiryFromTags(tags: readonly string[]): string | undefined {
  return tags.find((t) => t.startsWith(EXPIRES_PREFIX))?.slice(EXPIRES_PREFIX.length);
}
