// removeUnhandled: removes from one host's store the backups of disks that host
// no longer handles (deleted, or their project moved or ignored). Manual only,
// never scheduled. It runs on the host's queue, plans there, and removes in
// small batches, so the history shows the plan and how far the removal got.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { PurgeActivities } from '../activities/purge-activities.ts';
import type { UnhandledActivities } from '../activities/unhandled-activities.ts';
import { RemoveUnhandledInput as InputSchema, type RemoveUnhandledInput, type RemoveUnhandledResult } from '../lib/operations/remove-unhandled.ts';
import { planChangedMessage, planDigest } from '../lib/plan-digest.ts';
import { recordOutcome } from './audit.ts';
import { parseInput } from './parse-input.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';

/** Versions per removeVersions call: about a minute of backy2 `rm`s. */
const BATCH = 50;

const { planUnhandled } = proxyActivities<UnhandledActivities>({
  startToCloseTimeout: '10m',
  // An inventory that cannot be read fails the run with nothing removed; a few tries cover a blip.
  retry: { initialInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});
// backy2 removes a version's blocks one by one; the activity heartbeats while it does.
const { removeVersions } = proxyActivities<PurgeActivities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 10 },
});

export async function removeUnhandled(raw: RemoveUnhandledInput): Promise<RemoveUnhandledResult> {
  const input = parseInput(InputSchema, raw);
  const startedAt = new Date().toISOString();
  const plan = await planUnhandled({ includeLast: input.includeLast && input.disk ? [input.disk] : [] });
  const onlyDisk = <T extends { disk: string }>(list: T[]) => (input.disk === undefined ? list : list.filter((d) => d.disk === input.disk));
  const { remove, kept, ...basis } = { ...plan, remove: onlyDisk(plan.remove), kept: onlyDisk(plan.kept) };
  const uids = remove.flatMap((d) => d.versions.map((v) => v.uid));
  const digest = planDigest('remove-unhandled', input.host, uids);
  // Only the plan the operator saw is carried out: a disk that became unhandled since was never shown.
  if (!input.dryRun && input.confirmedPlan !== digest) {
    throw ApplicationFailure.create({
      type: 'PlanChangedError',
      nonRetryable: true,
      message: planChangedMessage(input.host, input.confirmedPlan ?? 'none', digest, uids.length, 'versions'),
    });
  }
  const removed = new Set<string>();
  const skipped = new Set<string>();
  if (!input.dryRun) {
    // The last valid version of a disk goes only where the plan says so (deleted, or named by the operator).
    const lastValidMayGo = remove.filter((d) => d.lastValidGoes).map((d) => d.disk);
    for (let i = 0; i < uids.length; i += BATCH) {
      const r = await removeVersions({ uids: uids.slice(i, i + BATCH), lastValidMayGo });
      for (const uid of r.removed) removed.add(uid);
      for (const s of r.skipped) skipped.add(s.uid);
    }
    recordOutcome(skipped.size === 0 ? 'ok' : 'partial');
  }
  return {
    host: input.host,
    dryRun: input.dryRun,
    planDigest: digest,
    ...basis,
    disks: remove.map((d) => ({
      ...d,
      removed: d.versions.filter((v) => removed.has(v.uid)).map((v) => v.uid),
      skipped: d.versions.filter((v) => skipped.has(v.uid)).map((v) => v.uid),
    })),
    kept,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}
