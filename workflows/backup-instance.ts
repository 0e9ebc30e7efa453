// backupInstance: one VM disk's incremental backup, the runbook's four steps.
// The workflow only decides; every step runs as an activity on the backup host
// whose backy2 store keeps the versions.
import { ActivityCancellationType, log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { BackupActivities, PreparedBackup } from '../activities/backup-activities.ts';
import { backupSnapshotName, vmDiskImage } from '../lib/naming.ts';
import {
  type BackupInstanceInput,
  BackupInstanceInput as InputSchema,
  type BackupPlan,
  type BackupResult,
  type StepProgress,
} from '../lib/operations/backup.ts';
import { Outcome } from '../lib/search-attributes.ts';
import { stepProgressQuery } from './definitions.ts';
import { recordServer } from './audit.ts';
import { lockDisk } from './disk-lock.ts';
import { parseInput } from './parse-input.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';



/**
 * The host's activities. backupInstance runs on its host's own task queue
 * (started there by the CLI or a fleet workflow), so its activities go to the
 * same queue, run where the host's backy2 store lives, and start eagerly on the
 * worker that completed the workflow task. (inspectDisk refuses to run on
 * another host's worker, so a start on the wrong queue fails at once.)
 */
function hostActivities() {
  const retry = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30, nonRetryableErrorTypes: NON_RETRYABLE_TYPES };
  const short = proxyActivities<BackupActivities>({ startToCloseTimeout: '30m', heartbeatTimeout: '30s', retry });
  // The copy can take hours; a dead host is noticed by the missing heartbeat, not the long timeout.
  // On cancellation the workflow waits for the copy to stop and clean up, so the history shows it done.
  const copy = proxyActivities<BackupActivities>({
    startToCloseTimeout: '24h',
    heartbeatTimeout: '20s',
    retry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return { inspectDisk: short.inspectDisk, prepareBackup: short.prepareBackup, finishBackup: copy.finishBackup };
}

export async function backupInstance(raw: BackupInstanceInput): Promise<BackupResult> {
  const input = parseInput(InputSchema, raw);
  let progress: StepProgress = { step: 'inspect' };
  setHandler(stepProgressQuery, () => progress);
  const startedAt = new Date(); // workflow time: the same on every replay
  const host = hostActivities();
  const disk = { pool: input.pool, image: input.image ?? vmDiskImage(input.vmId) };
  const snapshot = backupSnapshotName(startedAt, input.host);

  // Two activities per disk (a dry run only inspects): a night of thousands of
  // disks is bound by the host's cores, and every activity costs task round trips.
  let prepared: PreparedBackup | undefined;
  if (!input.dryRun) {
    // One operation per disk: two backups (CLI and night, --again) never remove each
    // other's snapshot, and a restore's half-written disk is never backed up.
    progress = { step: 'lock', detail: `${disk.pool}/${disk.image}` };
    await lockDisk(disk, 'backup', 'refuse');
    progress = { step: 'prepare', detail: `inspect, snapshot ${disk.pool}/${disk.image}@${snapshot}, diff` };
    prepared = await host.prepareBackup({ ...disk, vmId: input.vmId, host: input.host, snapshot, recordServer: input.workload === 'vms' });
  }
  const state = prepared?.state ?? (await host.inspectDisk({ ...disk, vmId: input.vmId, host: input.host, withSize: true }));
  const plan: BackupPlan = {
    image: disk.image,
    snapshot,
    kind: state.base ? 'incremental' : 'full',
    reason: state.base ? `changes since ${state.base.snapshot} (version ${state.base.uid})` : (state.fullReason ?? 'first backup'),
    baseSnapshot: state.base?.snapshot,
    baseUid: state.base?.uid,
    sizeBytes: state.sizeBytes,
    snapshotsToRemove: state.ownSnapshots.filter((s) => s !== snapshot),
  };
  const result = (extra: Partial<BackupResult>): BackupResult => ({
    vmId: input.vmId,
    host: input.host,
    dryRun: input.dryRun,
    plan,
    tags: [],
    hintedBytes: 0,
    removedSnapshots: [],
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    ...extra,
  });
  if (!prepared) return result({}); // a dry run
  log.info('backup plan', { plan });

  const { server, hints } = prepared;
  recordServer(server);
  progress = { step: 'backup', detail: `${plan.kind}, ${hints.hintedBytes} bytes hinted; removing ${plan.snapshotsToRemove.join(', ') || 'no old snapshot'}` };
  const copyInput = { ...disk, snapshot, kind: plan.kind, hints, baseUid: plan.baseUid, liveForDays: input.liveForDays, project: input.project };
  const { made, removed } = await host.finishBackup({ ...copyInput, snapshotsToRemove: plan.snapshotsToRemove });
  plan.sizeBytes = made.stats?.sizeBytes;
  if (made.fullReason) {
    plan.kind = made.kind;
    plan.reason = made.fullReason;
  }
  upsertSearchAttributes([{ key: Outcome, value: made.kind }]);
  progress = { step: 'done', detail: made.uid };
  return result({
    versionUid: made.uid,
    tags: made.tags,
    hintedBytes: hints.hintedBytes,
    bytesRead: made.stats?.bytesRead,
    bytesWritten: made.stats?.bytesWritten,
    removedSnapshots: removed,
    serverRecorded: server !== undefined,
    expiresAt: made.tags.find((t) => t.startsWith('expires_'))?.slice('expires_'.length),
  });
}
