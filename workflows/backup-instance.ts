// backupInstance: one VM disk's incremental backup, the runbook's four steps.
// The workflow only decides; every step runs as an activity on the backup host
// whose backy2 store keeps the versions.
import {
  ActivityCancellationType,
  defineQuery,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { BackupActivities, BackupSnapshotInput, DiskRef, PreparedBackup } from '../activities/backup-activities.ts';
import { backupSnapshotName, vmDiskImage } from '../lib/naming.ts';
import {
  type BackupInstanceInput,
  BackupInstanceInput as InputSchema,
  type BackupPlan,
  type BackupResult,
  PROGRESS_QUERY,
  type StepProgress,
} from '../lib/operations/backup.ts';
import { Outcome } from '../lib/search-attributes.ts';
import { parseInput } from './parse-input.ts';

export const progressQuery = defineQuery<StepProgress>(PROGRESS_QUERY);

const NON_RETRYABLE = ['UnknownVmError', 'InvalidInputError'];
/** Patch id: inspect, snapshot and diff in one activity, and the copy with the old snapshots' removal in another. */
const FOLDED_STEPS = 'fold-backup-steps';

/**
 * The host's activities. backupInstance runs on its host's own task queue
 * (started there by the CLI or a fleet workflow), so its activities go to the
 * same queue, run where the host's backy2 store lives, and start eagerly on the
 * worker that completed the workflow task. (inspectDisk refuses to run on
 * another host's worker, so a start on the wrong queue fails at once.)
 */
function hostActivities() {
  const retry = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30, nonRetryableErrorTypes: NON_RETRYABLE };
  const short = proxyActivities<BackupActivities>({ startToCloseTimeout: '30m', heartbeatTimeout: '30s', retry });
  // The copy can take hours; a dead host is noticed by the missing heartbeat, not the long timeout.
  // On cancellation the workflow waits for the copy to stop and clean up, so the history shows it done.
  const copy = proxyActivities<BackupActivities>({
    startToCloseTimeout: '24h',
    heartbeatTimeout: '20s',
    retry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return {
    inspectDisk: short.inspectDisk,
    createSnapshot: short.createSnapshot,
    recordServerMetadata: short.recordServerMetadata,
    computeHints: short.computeHints,
    removeOwnSnapshots: short.removeOwnSnapshots,
    backupSnapshot: copy.backupSnapshot,
    prepareBackup: short.prepareBackup,
    finishBackup: copy.finishBackup,
  };
}

export async function backupInstance(raw: BackupInstanceInput): Promise<BackupResult> {
  const input = parseInput(InputSchema, raw);
  let progress: StepProgress = { step: 'inspect' };
  setHandler(progressQuery, () => progress);
  const startedAt = new Date(); // workflow time: the same on every replay
  const host = hostActivities();
  const disk = { pool: input.pool, image: input.image ?? vmDiskImage(input.vmId) };
  const snapshot = backupSnapshotName(startedAt, input.host);

  // Two activities per disk instead of six: a night of thousands of disks is
  // bound by the host's cores, and every activity costs task round trips.
  // Runs started before this change replay on the six-step path
  // (test/unit/replay.test.ts replays both).
  const folded = !input.dryRun && patched(FOLDED_STEPS);
  let prepared: PreparedBackup | undefined;
  if (folded) {
    progress = { step: 'prepare', detail: `inspect, snapshot ${disk.pool}/${disk.image}@${snapshot}, diff` };
    prepared = await host.prepareBackup({ ...disk, vmId: input.vmId, host: input.host, snapshot, recordServer: input.workload === 'vms' });
  }
  const state = prepared?.state ?? (await host.inspectDisk({ ...disk, vmId: input.vmId, host: input.host, withSize: input.dryRun }));
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
  if (input.dryRun) return result({});
  log.info('backup plan', { plan });

  const { server, hints } = prepared ?? (await snapshotAndDiff(host, input, disk, snapshot, plan));
  progress = { step: 'backup', detail: `${plan.kind}, ${hints.hintedBytes} bytes hinted; removing ${plan.snapshotsToRemove.join(', ') || 'no old snapshot'}` };
  const copyInput = { ...disk, snapshot, kind: plan.kind, hints, baseUid: plan.baseUid, liveForDays: input.liveForDays, project: input.project };
  const { made, removed } = folded
    ? await host.finishBackup({ ...copyInput, snapshotsToRemove: plan.snapshotsToRemove })
    : await copyWhileRemoving(host, disk, plan.snapshotsToRemove, copyInput);
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

type HostSteps = ReturnType<typeof hostActivities>;

/** The six-step path's snapshot and diff (runs started before FOLDED_STEPS). */
async function snapshotAndDiff(host: HostSteps, input: BackupInstanceInput, disk: DiskRef, snapshot: string, plan: BackupPlan) {
  // Added after the first release: runs already under way when a worker upgrades
  // must replay without it (test/unit/replay.test.ts replays such histories).
  const recordServer = input.workload === 'vms' && patched('record-server-metadata');
  const [server] = await Promise.all([
    recordServer ? host.recordServerMetadata({ ...disk, vmId: input.vmId, snapshot }) : Promise.resolve(undefined),
    host.createSnapshot({ ...disk, snapshot }),
  ]);
  const hints = await host.computeHints({ ...disk, snapshot, fromSnapshot: plan.baseSnapshot });
  return { server, hints };
}

/** The six-step path's copy: yesterday's snapshot goes while backy2 runs (the hints are on disk). */
async function copyWhileRemoving(host: HostSteps, disk: DiskRef, snapshots: string[], copyInput: BackupSnapshotInput) {
  const [{ removed }, made] = await Promise.all([host.removeOwnSnapshots({ ...disk, snapshots }), host.backupSnapshot(copyInput)]);
  return { made, removed };
}
