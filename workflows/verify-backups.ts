// verifyBackups: one host's check of what it has stored. The host plans the
// run (the share of valid versions least recently scrubbed, so every version
// is scrubbed within N runs, and a sample of disks for a deep check), the
// workflow scrubs the share a page at a time on the host, then compares each
// sampled disk's newest version with its snapshot. A failed check marks a
// version invalid only after a second read agrees (activities/verify/).
// Bounded like the night: counts, the first failures, continue-as-new every
// `batchesPerRun` pages carrying only the offset and the summary.
import { continueAsNew, log, proxyActivities, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { VerifyActivities } from '../activities/verify-activities.ts';
import type { VersionVerdict } from '../activities/verify/check-version.ts';
import { NON_RETRYABLE_TYPES, rootCause } from '../lib/errors.ts';
import { emptyCounts, invalidated, listFailure, type VerifyBackupsInput, VerifyBackupsInput as InputSchema, type VerifySummary, verifyMemo } from '../lib/operations/verify.ts';
import { BackupHost, Operation, Outcome } from '../lib/search-attributes.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { parseInput } from './parse-input.ts';

export async function verifyBackups(raw: VerifyBackupsInput): Promise<VerifySummary> {
  const input = parseInput(InputSchema, raw);
  const info = workflowInfo();
  const taskQueue = hostTaskQueue(info.taskQueue, input.host);
  const retry = { initialInterval: '5s', maximumInterval: '2m', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_TYPES };
  const { planVerify, forgetVerifyPlan } = proxyActivities<VerifyActivities>({ taskQueue, startToCloseTimeout: '30m', retry });
  // Reading GiBs takes a while; a dead worker shows as a missing heartbeat, not the long timeout.
  const { verifyBatch, deepCheck } = proxyActivities<VerifyActivities>({ taskQueue, startToCloseTimeout: '12h', heartbeatTimeout: '1m', retry });

  // One key per run, shared by its continued runs: the host's plan file.
  const run = `${info.workflowId}@${info.firstExecutionRunId}`;
  let carry = input.carry;
  if (!carry) {
    // Whoever started it, the run is findable as this host's verify.
    upsertSearchAttributes([
      { key: Operation, value: 'verify' },
      { key: BackupHost, value: input.host },
    ]);
    const plan = await planVerify({ run, scrubEveryNights: input.scrubEveryNights, deepSample: input.deepSample, images: input.images });
    carry = {
      plan: run,
      offset: 0,
      summary: {
        host: input.host,
        workflowId: info.workflowId,
        versions: plan.versions,
        planned: plan.planned,
        scrub: emptyCounts(),
        bytes: 0,
        deep: { ...emptyCounts(), skipped: plan.deepSkipped, bytes: 0 },
        failed: [],
        startedAt: new Date().toISOString(),
        runs: 1,
      },
    };
    // The deep sample is small (deepSample ≤ 1000 disks) and the first run's own: it goes first.
    for (const target of plan.deep) recordDeep(carry.summary, await deepCheck(target));
  }
  const { summary } = carry;
  let offset = carry.offset;
  for (let batches = 0; offset < summary.planned; batches++) {
    if (batches >= input.batchesPerRun || workflowInfo().continueAsNewSuggested) {
      summary.runs += 1;
      log.info(`continuing as new with ${summary.planned - offset} versions to go`);
      return continueAsNew<typeof verifyBackups>({ ...input, carry: { plan: run, offset, summary } });
    }
    const r = await verifyBatch({ run, offset, limit: input.batchVersions });
    offset += input.batchVersions;
    summary.scrub.checked += r.checked;
    summary.scrub.ok += r.ok;
    summary.scrub.failed += r.failed.length;
    summary.scrub.markedInvalid += r.markedInvalid;
    summary.bytes += r.bytes;
    for (const f of r.failed) listFailure(summary.failed, f);
    upsertMemo({ summary: verifyMemo(summary) });
  }
  await forgetVerifyPlan({ run }).catch((err: unknown) => log.warn('verify plan not removed', { error: rootCause(err).message }));
  const finishedAt = new Date();
  summary.finishedAt = finishedAt.toISOString();
  summary.durationSeconds = Math.round((finishedAt.getTime() - Date.parse(summary.startedAt)) / 1000);
  upsertMemo({ summary: verifyMemo(summary) });
  upsertSearchAttributes([{ key: Outcome, value: summary.scrub.failed + summary.deep.failed > 0 ? 'failed' : 'ok' }]);
  return summary;
}

function recordDeep(summary: VerifySummary, r: VersionVerdict): void {
  summary.deep.checked += 1;
  summary.deep.bytes += r.bytes;
  if (!r.failure) {
    summary.deep.ok += 1;
    return;
  }
  summary.deep.failed += 1;
  summary.deep.markedInvalid += invalidated(r.failure);
  listFailure(summary.failed, r.failure);
}
