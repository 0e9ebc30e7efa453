// A night's plan, made and kept on the backup host. At 10,000 disks the queue
// is megabytes: carried through the workflow it would cross Temporal's payload
// limit (2 MB) and swell every run's history. So the host writes the whole plan
// to a file under its state_dir, keyed by the night, and the workflow reads the
// queue a page at a time by offset; only counts, the first page and a bounded
// list of skips travel into history.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../lib/errors.ts';
import type { InventorySnapshot } from '../lib/fleet/inventory.ts';
import { type FleetPolicy, NightlyDisk, planNightly, type SkippedDisk } from '../lib/fleet/plan.ts';
import { type NightlySummary, recordSkipped } from '../lib/operations/nightly.ts';
import { planDigest } from '../lib/plan-digest.ts';

/** A plan file left by a night that never finished (terminated, its host replaced) goes after this. */
const KEEP_PLAN_DAYS = 7;

const PlanFile = z.object({ night: z.string(), queue: z.array(NightlyDisk) });

/** What the workflow gets back: counts, the first page of the queue, and the skips as the summary lists them. */
export interface NightPlanHead {
  inventory: NightlySummary['inventory'];
  planned: number;
  skippedByCode: NightlySummary['skippedByCode'];
  /** Every skip counted; the first SUMMARY_LIST_MAX of each code listed. */
  skippedCount: number;
  skipped: SkippedDisk[];
  /** The queue's first `pageSize` disks; the rest by nightQueue. */
  queue: NightlyDisk[];
  /** A takeover's: the digest of the whole queue, for `--yes --plan`. */
  planDigest?: string | undefined;
}

/** A takeover night takes only the disks with no valid version in this host's store (`backedUp`: their version names). */
export interface TakeoverPlanning {
  host: string;
  backedUp: ReadonlySet<string>;
}

export function nightPlanFile(stateDir: string, night: string): string {
  // Night ids hold '/' and ':'; a digest makes a plain file name of any of them.
  return join(stateDir, 'nights', `${createHash('sha256').update(night).digest('hex').slice(0, 32)}.json`);
}

/**
 * Plans `inventory` by `policy`, and unless `keep` is false (a dry run) writes
 * the queue for nightQueue to page through. Writing again for the same night
 * (a retried activity) replaces the file whole: a night reads its plan only
 * after this activity completed, so it never sees two plans.
 */
export function makeNightPlan(
  stateDir: string,
  input: { night: string; inventory: InventorySnapshot; policy: FleetPolicy; restores: Record<string, string>; pageSize: number; keep: boolean; takeover?: TakeoverPlanning | undefined },
): NightPlanHead {
  const plan = planNightly(input.inventory.disks, input.policy, new Map(Object.entries(input.restores)));
  if (input.takeover) {
    const { host, backedUp } = input.takeover;
    plan.skipped.push(...plan.backup.filter((d) => backedUp.has(d.image)).map((d) => ({ ...d, code: 'has-backup' as const, reason: `a valid version is in ${host}'s store already` })));
    plan.backup = plan.backup.filter((d) => !backedUp.has(d.image));
  }
  const skips = { counts: { skipped: 0 }, skippedByCode: {} as NightlySummary['skippedByCode'], skipped: [] as SkippedDisk[] };
  for (const s of plan.skipped) recordSkipped(skips, s);
  if (input.keep) {
    pruneOldPlans(stateDir);
    const file = nightPlanFile(stateDir, input.night);
    mkdirSync(join(stateDir, 'nights'), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, JSON.stringify({ night: input.night, queue: plan.backup }));
    renameSync(tmp, file);
  }
  return {
    inventory: { driver: input.inventory.driver, disks: input.inventory.disks.length, takenAt: input.inventory.takenAt },
    planned: plan.backup.length,
    skippedByCode: skips.skippedByCode,
    skippedCount: skips.counts.skipped,
    skipped: skips.skipped,
    queue: plan.backup.slice(0, input.pageSize),
    planDigest: input.takeover ? planDigest('takeover', input.takeover.host, plan.backup.map((d) => d.image)) : undefined,
  };
}

/** Disks `offset` to `offset + limit` of the night's queue. */
export function readNightQueue(stateDir: string, input: { night: string; offset: number; limit: number }): NightlyDisk[] {
  const file = nightPlanFile(stateDir, input.night);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidInputError(
      `the plan of night ${input.night} is gone from ${file} (${(err as Error).message}); the night cannot go on`,
      'Was the host’s state_dir cleaned, or the host replaced? The next night plans afresh; start one now with `vmbackup run-nightly`.',
    );
  }
  const plan = PlanFile.parse(JSON.parse(text));
  return plan.queue.slice(input.offset, input.offset + input.limit);
}

/** Removes the night's plan file; already gone is fine. */
export function forgetNightPlan(stateDir: string, night: string): void {
  rmSync(nightPlanFile(stateDir, night), { force: true });
}

function pruneOldPlans(stateDir: string): void {
  const dir = join(stateDir, 'nights');
  const before = Date.now() - KEEP_PLAN_DAYS * 86_400_000;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no folder yet
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs < before) rmSync(path, { force: true });
    } catch {
      // another worker removed it first
    }
  }
}
