// Which backup versions a purge removes, and why each other one stays. Pure:
// the dates come in (the run's `asOf`), so every rule is unit-tested without a
// store, and a purge of last month replays the same way today.
//
// A version goes only when all of these hold: it is not protected, it is not
// the newest valid version of its disk, it is at least min_age_days old, and
// its expiry day is over. Anything the policy cannot judge (no expiry tag and no
// lifespan for its workload) stays: a purge that guesses loses backups.
//
// A workload with keep rules (workloads.<w>.keep, lib/keep-policy.ts) is judged
// by them instead of expiry: a valid version goes when no rule keeps it (and
// the same guards hold). Its `expires_` tags and live_for_days are not read
// then: the operator states the retention in one place and the dry run shows
// exactly that (a union with expiry would make `daily 3` under the default
// live_for_days 8 silently mean 8). A version to keep beyond the rules is
// protected. Invalid versions take no rule's slot and keep today's expiry
// rule: a scrub that marks many versions invalid must not make the next night
// remove them all; remove-invalids is the operator's way to drop them sooner.
import { expiryFromTags } from './backup-tags.ts';
import { type KeepRules, keptByRules, type RuleKeep, rulesText, ruleText } from './keep-policy.ts';
import { utcDay, type Workload } from './naming.ts';

const DAY_MS = 86_400_000;

export interface PurgeCandidate {
  uid: string;
  /** Version name: `<vm-id>_disk`, `volume-<id>` or a Glance image id. */
  name: string;
  /** ISO 8601, UTC. */
  date: string;
  valid: boolean;
  protected: boolean;
  tags: readonly string[];
}

export interface PurgePolicy {
  /** ISO time the ages and expiries are judged at. */
  asOf: string;
  minAgeDays: number;
  /** Lifespan of a version without an `expires_` tag, by the workload its name belongs to. */
  liveForDays: Partial<Record<Workload, number>>;
  /** Keep rules by workload; a workload listed here is judged by them, not by expiry. */
  keep?: Partial<Record<Workload, KeepRules>> | undefined;
  /**
   * Removals per run at most (oldest first); the rest wait for the next run.
   * It bounds the run's history: a store with a long backlog would otherwise
   * return a removal list beyond Temporal's payload limit and fail for good.
   */
  maxRemovals?: number;
}

export const KEEP_REASONS = [
  'protected',
  'keep-last',
  'keep-daily',
  'keep-weekly',
  'keep-monthly',
  'newest-valid',
  'too-young',
  'unknown-expiry',
  'not-expired',
  'over-run-limit',
  'busy',
] as const;
export type KeepReason = (typeof KEEP_REASONS)[number];

export interface Expiry {
  /** `YYYY-mm-dd`: the version lives through this whole day (UTC). */
  day: string;
  /** Why: the version's `expires_` tag, or its date plus its workload's live_for_days. */
  because: string;
}

export interface PurgeVerdictBase {
  uid: string;
  name: string;
  date: string;
  expires?: string | undefined;
}
/** `expires` is undefined for a version removed by keep rules that had no (readable) expiry. */
export type RemovedVersion = PurgeVerdictBase & { reason: string };
/** `rule`: the keep rule and its slot, `keep-daily 3/7`, when a keep rule keeps it. */
export type KeptVersion = PurgeVerdictBase & { reason: KeepReason; rule?: string | undefined };

export interface PurgeDecision {
  remove: RemovedVersion[];
  keep: KeptVersion[];
}

/** The workload a version belongs to, from its name as Nova, Cinder and Glance name RBD images. */
export function workloadOfVersionName(name: string): Workload {
  if (name.endsWith('_disk')) return 'vms';
  if (name.startsWith('volume-')) return 'volumes';
  return 'images';
}

/** When a version expires; undefined when neither its tags nor its workload say. */
export function versionExpiry(version: Pick<PurgeCandidate, 'name' | 'date' | 'tags'>, liveForDays: PurgePolicy['liveForDays']): Expiry | undefined {
  const tagged = expiryFromTags(version.tags);
  if (tagged !== undefined) {
    // A malformed tag is not read as "expired long ago": the version stays until someone looks.
    return isDay(tagged) ? { day: tagged, because: `tag expires_${tagged}` } : undefined;
  }
  const workload = workloadOfVersionName(version.name);
  const days = liveForDays[workload];
  if (days === undefined) return undefined;
  const made = Date.parse(version.date);
  return { day: utcDay(new Date(made + days * DAY_MS)), because: `made ${utcDay(new Date(made))} + ${days} days (${workload})` };
}

export function decidePurge(versions: readonly PurgeCandidate[], policy: PurgePolicy): PurgeDecision {
  const asOf = Date.parse(policy.asOf);
  const newest = newestValidByName(versions);
  const byRule = keptByRulesPerDisk(versions, policy.keep ?? {});
  const decision: PurgeDecision = { remove: [], keep: [] };
  const oldestFirst = [...versions].sort((a, b) => a.date.localeCompare(b.date) || a.uid.localeCompare(b.uid));
  for (const v of oldestFirst) {
    const expiry = versionExpiry(v, policy.liveForDays);
    const base = { uid: v.uid, name: v.name, date: v.date, expires: expiry?.day };
    const keep = (reason: KeepReason, rule?: RuleKeep) => decision.keep.push({ ...base, reason, ...(rule ? { rule: ruleText(rule) } : {}) });
    const rules = policy.keep?.[workloadOfVersionName(v.name)];
    const rule = byRule.get(v.uid);
    const expired = expiry !== undefined && asOf >= Date.parse(`${expiry.day}T00:00:00Z`) + DAY_MS;
    if (v.protected) keep('protected');
    else if (rule) keep(`keep-${rule.rule}`, rule);
    else if (newest.get(v.name) === v.uid) keep('newest-valid');
    else if (asOf - Date.parse(v.date) < policy.minAgeDays * DAY_MS) keep('too-young');
    else if ((!rules || !v.valid) && !expiry) keep('unknown-expiry');
    else if ((!rules || !v.valid) && !expired) keep('not-expired');
    else if (decision.remove.length >= (policy.maxRemovals ?? Infinity)) keep('over-run-limit');
    else if (rules && v.valid) decision.remove.push({ ...base, reason: beyondRules(rules, expiry, expired) });
    else decision.remove.push({ ...base, reason: `expired ${expiry!.day} (${expiry!.because})` });
  }
  return decision;
}

/**
 * Why a valid version of a workload with keep rules goes. One that goes before
 * its expiry (its `expires` field) says so: the rules, not the tag, decided.
 * Short, as up to MAX_REMOVALS_PER_RUN of these travel in one activity result.
 */
function beyondRules(rules: KeepRules, expiry: Expiry | undefined, expired: boolean): string {
  return `beyond keep rules (${rulesText(rules)})${expiry && !expired ? ', before its expiry' : ''}`;
}

/** The keep rule, if any, that keeps each version of a workload with rules; only valid, unprotected versions take a slot. */
function keptByRulesPerDisk(versions: readonly PurgeCandidate[], keep: NonNullable<PurgePolicy['keep']>): Map<string, RuleKeep> {
  const byName = new Map<string, PurgeCandidate[]>();
  for (const v of versions) {
    if (!v.valid || v.protected || !keep[workloadOfVersionName(v.name)]) continue;
    const disk = byName.get(v.name);
    if (disk) disk.push(v);
    else byName.set(v.name, [v]);
  }
  const kept = new Map<string, RuleKeep>();
  for (const [name, disk] of byName) for (const [uid, k] of keptByRules(disk, keep[workloadOfVersionName(name)]!)) kept.set(uid, k);
  return kept;
}

/** uid of the newest valid version of each name. */
function newestValidByName(versions: readonly PurgeCandidate[]): Map<string, string> {
  const newest = new Map<string, PurgeCandidate>();
  for (const v of versions) {
    if (!v.valid) continue;
    const best = newest.get(v.name);
    if (!best || v.date > best.date || (v.date === best.date && v.uid > best.uid)) newest.set(v.name, v);
  }
  return new Map([...newest].map(([name, v]) => [name, v.uid]));
}

function isDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && utcDay(new Date(`${text}T00:00:00Z`)) === text;
}

/**
 * Kept versions as counts by reason plus a few examples of each: a store of
 * thousands of disks keeps thousands of versions, too many for a workflow result.
 */
export interface KeptSummary {
  total: number;
  byReason: Partial<Record<KeepReason, number>>;
  /** At most KEPT_DETAILS_PER_REASON of each reason, oldest first. */
  details: KeptVersion[];
  detailsOmitted: number;
}

export const KEPT_DETAILS_PER_REASON = 20;

/** Counts `kept` into `summary` (a new one when omitted) and returns it. */
export function summarizeKept(kept: readonly KeptVersion[], summary: KeptSummary = { total: 0, byReason: {}, details: [], detailsOmitted: 0 }): KeptSummary {
  for (const k of kept) {
    const seen = summary.byReason[k.reason] ?? 0;
    summary.total++;
    summary.byReason[k.reason] = seen + 1;
    if (seen < KEPT_DETAILS_PER_REASON) summary.details.push(k);
    else summary.detailsOmitted++;
  }
  return summary;
}
