// restoreDrill: proof that a host's backups restore. The host picks a sample
// of versions (a few disks, least recently drilled first); each is checked in
// the store (read twice before anything is marked), restored into a scratch
// image that can never be a disk's name, compared block by block with the
// version's checksums, and the scratch image is removed whatever happened,
// cancellation included. The VM and its disk are never touched.
import { ActivityCancellationType, CancellationScope, log, proxyActivities, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { DrillActivities } from '../activities/drill-activities.ts';
import { NON_RETRYABLE_TYPES, rootCause } from '../lib/errors.ts';
import { type DrillSummary, emptyCounts, invalidated, listFailure, type RestoreDrillInput, RestoreDrillInput as InputSchema } from '../lib/operations/verify.ts';
import { BackupHost, Operation, Outcome } from '../lib/search-attributes.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { scratchImageName } from '../lib/verify/scratch.ts';
import { parseInput } from './parse-input.ts';

export async function restoreDrill(raw: RestoreDrillInput): Promise<DrillSummary> {
  const input = parseInput(InputSchema, raw);
  const info = workflowInfo();
  const taskQueue = hostTaskQueue(info.taskQueue, input.host);
  const retry = { initialInterval: '5s', maximumInterval: '2m', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES };
  const { planDrill, removeScratch } = proxyActivities<DrillActivities>({ taskQueue, startToCloseTimeout: '10m', heartbeatTimeout: '1m', retry });
  // On cancellation the drill waits for the restore to stop before it removes the scratch image.
  const { drillVersion } = proxyActivities<DrillActivities>({
    taskQueue,
    startToCloseTimeout: '12h',
    heartbeatTimeout: '1m',
    retry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  upsertSearchAttributes([
    { key: Operation, value: 'drill' },
    { key: BackupHost, value: input.host },
  ]);

  const summary: DrillSummary = {
    host: input.host,
    workflowId: info.workflowId,
    scratchPool: input.scratchPool,
    counts: emptyCounts(),
    bytes: 0,
    drilled: [],
    failed: [],
    startedAt: new Date().toISOString(),
  };
  const targets = await planDrill({ sample: input.sample, images: input.images });
  for (const target of targets) {
    const scratch = { pool: input.scratchPool, image: scratchImageName(input.host, target.uid) };
    try {
      const r = await drillVersion({ ...target, scratch });
      summary.counts.checked += 1;
      summary.bytes += r.bytes;
      summary.drilled.push({ image: target.image, uid: target.uid, scratch: `${scratch.pool}/${scratch.image}`, ok: !r.failure, bytes: r.bytes });
      if (!r.failure) summary.counts.ok += 1;
      else {
        summary.counts.failed += 1;
        summary.counts.markedInvalid += invalidated(r.failure);
        listFailure(summary.failed, r.failure);
      }
    } finally {
      // Cancelled or failed, the scratch image goes.
      await CancellationScope.nonCancellable(() => removeScratch(scratch)).catch((err: unknown) =>
        log.error('scratch image not removed', { scratch: `${scratch.pool}/${scratch.image}`, error: rootCause(err).message }),
      );
    }
    upsertMemo({ summary: { counts: summary.counts, bytes: summary.bytes } });
  }
  const finishedAt = new Date();
  summary.finishedAt = finishedAt.toISOString();
  summary.durationSeconds = Math.round((finishedAt.getTime() - Date.parse(summary.startedAt)) / 1000);
  upsertMemo({ summary: { counts: summary.counts, bytes: summary.bytes, durationSeconds: summary.durationSeconds } });
  upsertSearchAttributes([{ key: Outcome, value: summary.counts.failed > 0 ? 'failed' : 'ok' }]);
  return summary;
}
