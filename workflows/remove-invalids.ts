// removeInvalids: removes the invalid versions of one backup host's store. It
// runs on the host's queue, where that store is, and leaves the list in history.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { InvalidVersionActivities } from '../activities/invalid-version-activities.ts';
import { planChangedMessage, planDigest } from '../lib/plan-digest.ts';
import { RemoveInvalidsInput as InputSchema, type RemoveInvalidsInput, type RemoveInvalidsResult } from '../lib/operations/remove-invalids.ts';
import { recordOutcome } from './audit.ts';
import { parseInput } from './parse-input.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';

const { findInvalidVersions, removeInvalidVersions } = proxyActivities<InvalidVersionActivities>({
  // backy2 removes a version's blocks one by one; a large one takes minutes.
  startToCloseTimeout: '2h',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

export async function removeInvalids(raw: RemoveInvalidsInput): Promise<RemoveInvalidsResult> {
  const input = parseInput(InputSchema, raw);
  const found = await findInvalidVersions();
  const planned = found.filter((v) => v.state === 'invalid');
  const digest = planDigest('remove-invalids', input.host, planned.map((v) => v.uid));
  // Only the plan the operator saw is carried out: a version that turned invalid since was never shown.
  if (!input.dryRun && input.confirmedPlan !== digest) {
    throw ApplicationFailure.create({
      type: 'PlanChangedError',
      nonRetryable: true,
      message: planChangedMessage(input.host, input.confirmedPlan ?? 'none', digest, planned.length, 'invalid versions'),
    });
  }
  const toRemove = input.dryRun ? [] : planned;
  const { removed } = toRemove.length ? await removeInvalidVersions({ versions: toRemove }) : { removed: [] };
  const gone = new Set(removed);
  if (!input.dryRun) recordOutcome(gone.size === toRemove.length ? 'ok' : 'partial');
  return { host: input.host, dryRun: input.dryRun, planDigest: digest, versions: found.map((v) => ({ ...v, removed: gone.has(v.uid) })) };
}
