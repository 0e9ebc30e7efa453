// Keep rules (`workloads.<w>.keep`): which versions of one disk a stated
// retention keeps, and by which rule. Pure; lib/purge-policy.ts applies it.
//
// Semantics, and why:
// - As in Proxmox Backup Server's prune, the rules run in a fixed order (last,
//   daily, weekly, monthly), each over the versions newest first, and each
//   skips what an earlier rule already keeps: `last 3, daily 7` keeps ten
//   nightly versions, not seven. Each version is kept by at most one rule,
//   the first, so the dry run names exactly one (`keep-daily 3/7`: the third
//   of seven daily slots). Periods without a backup use no slot (PBS: "days
//   without backups do not count"), so a missed night never shortens what is kept.
// - A period is what the `b_daily` / `b_weekly` / `b_monthly` tags written at
//   backup time say (lib/backup-tags.ts, backy2's own rule): a day is a UTC day,
//   a week the 7 days from the previous weekly, a month the calendar month from
//   the previous monthly; the tagged version, the first of its period, stands
//   for it (as Benji keeps the oldest of each period, so it can age into the
//   next rule). The purge re-buckets nothing, so no time zone of the purge or of
//   a Schedule can move a period (Benji warns that a changed zone removes extra
//   versions), and `vmbackup ls` shows the very tags the rules count.
// - Only valid, unprotected versions take a slot. An invalid version is no
//   restore point (PBS keeps no failed backup either); a protected one stays
//   anyway, outside the policy (PBS: protected snapshots take no slot).
// - A disk whose tagged version turned invalid keeps the next older tagged one
//   instead, and its next backup is tagged again (tags are given relative to
//   valid versions): N slots still hold N valid versions.
import { z } from 'zod';

export const KEEP_RULES = ['last', 'daily', 'weekly', 'monthly'] as const;
export type KeepRule = (typeof KEEP_RULES)[number];

/** The tag that marks a period's version, per rule; `last` counts every valid version. */
const RULE_TAG: Record<KeepRule, string | undefined> = { last: undefined, daily: 'b_daily', weekly: 'b_weekly', monthly: 'b_monthly' };

const Count = z.int().min(0).max(100_000);
/** One workload's rules as the purge takes them (config: workloads.<w>.keep). */
export const KeepRules = z.strictObject({ last: Count, daily: Count, weekly: Count, monthly: Count });
export type KeepRules = z.infer<typeof KeepRules>;

export interface RuleVersion {
  uid: string;
  date: string;
  tags: readonly string[];
}

export interface RuleKeep {
  rule: KeepRule;
  /** 1 = the newest version this rule keeps. */
  slot: number;
  of: number;
}

/** `keep-daily 3/7`. */
export function ruleText(k: RuleKeep): string {
  return `keep-${k.rule} ${k.slot}/${k.of}`;
}

/** `last 3, daily 7, monthly 12` (rules at 0 left out). */
export function rulesText(rules: KeepRules): string {
  return KEEP_RULES.filter((r) => rules[r] > 0)
    .map((r) => `${r} ${rules[r]}`)
    .join(', ');
}

/**
 * The versions the rules keep, by uid. `versions` are one disk's valid,
 * unprotected versions (the caller leaves the others out: they take no slot).
 */
export function keptByRules(versions: readonly RuleVersion[], rules: KeepRules): Map<string, RuleKeep> {
  const newestFirst = [...versions].sort((a, b) => b.date.localeCompare(a.date) || b.uid.localeCompare(a.uid));
  const kept = new Map<string, RuleKeep>();
  for (const rule of KEEP_RULES) {
    const of = rules[rule];
    const tag = RULE_TAG[rule];
    let slot = 0;
    for (const v of newestFirst) {
      if (slot >= of) break;
      if (kept.has(v.uid) || (tag !== undefined && !v.tags.includes(tag))) continue;
      kept.set(v.uid, { rule, slot: ++slot, of });
    }
  }
  return kept;
}
