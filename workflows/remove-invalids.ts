// removeInvalids: removes the invalid versions of one backup host's store. It
// runs on the host's queue, where that store is, and leaves the list in history.
import { proxyActivities } from '@temporalio/workflow';
import type { InvalidVersionActivities } from '../activities/invalid-version-activities.ts';
import { RemoveInvalidsInput as InputSchema, type RemoveInvalidsInput, type RemoveInvalidsResult } from '../lib/operations/remove-invalids.ts';
import { parseInput } from './parse-input.ts';

const { findInvalidVersions, removeInvalidVersions } = proxyActivities<InvalidVersionActivities>({
  // backy2 removes a version's blocks one by one; a large one takes minutes.
  startToCloseTimeout: '2h',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInputError'] },
});

export async function removeInvalids(raw: RemoveInvalidsInput): Promise<RemoveInvalidsResult> {
  const input = parseInput(InputSchema, raw);
  const found = await findInvalidVersions();
  const toRemove = input.dryRun ? [] : found.filter((v) => v.state === 'invalid');
  const { removed } = toRemove.length ? await removeInvalidVersions({ versions: toRemove }) : { removed: [] };
  const gone = new Set(removed);
  return { host: input.host, dryRun: input.dryRun, versions: found.map((v) => ({ ...v, removed: gone.has(v.uid) })) };
}
