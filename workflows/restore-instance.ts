// restoreInstance: roll one VM disk back to a backup version, in place.
// stop the VM → no watchers left → move the current image aside (rename, never
// delete) → backy2 restore → start the VM. When a step fails for good, or the
// restore is cancelled (or its parent closes), the steps already done are
// undone newest first (saga), and the workflow fails with what happened: the
// original image is back and the VM runs again. Only a completed restore marks
// the image it moved aside as free to purge later.
import { ActivityCancellationType, CancellationScope, CancelledFailure, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { RestoreActivities } from '../activities/restore-activities.ts';
import type { StepProgress } from '../lib/operations/backup.ts';
import { asideImageName } from '../lib/naming.ts';
import { type RestoreInstanceInput, RestoreInstanceInput as InputSchema, type RestoreResult } from '../lib/operations/restore.ts';
import { stepProgressQuery } from './definitions.ts';
import { lockDisk } from './disk-lock.ts';
import { recordOutcome, recordServer } from './audit.ts';
import { parseInput } from './parse-input.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';



function restoreActivities() {
  const retry = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES };
  // On a cancel, wait until the running step has really stopped (or finished) before compensating:
  // an undo must never race the step it undoes.
  const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
  const short = proxyActivities<RestoreActivities>({ startToCloseTimeout: '10m', heartbeatTimeout: '30s', retry, cancellationType });
  // A VM shutting down may hold its image for a while yet: about two minutes of retries.
  const watchers = proxyActivities<RestoreActivities>({ startToCloseTimeout: '1m', retry: { ...retry, maximumAttempts: 10, maximumInterval: '20s' }, cancellationType });
  // Writing or removing a whole disk: as long as it takes, heartbeating.
  const disk = proxyActivities<RestoreActivities>({ startToCloseTimeout: '24h', heartbeatTimeout: '20s', retry: { ...retry, maximumAttempts: 3 }, cancellationType });
  return { ...pick(short), checkNoWatchers: watchers.checkNoWatchers, restoreVersion: disk.restoreVersion, removeRestored: disk.removeRestored };
}

function pick(a: RestoreActivities) {
  return {
    checkRestore: a.checkRestore,
    stopServer: a.stopServer,
    startServer: a.startServer,
    moveAside: a.moveAside,
    protectGlanceSnapshot: a.protectGlanceSnapshot,
    moveBack: a.moveBack,
    markRestoreCompleted: a.markRestoreCompleted,
  };
}

export async function restoreInstance(raw: RestoreInstanceInput): Promise<RestoreResult> {
  const input = parseInput(InputSchema, raw);
  let progress: StepProgress = { step: 'check' };
  setHandler(stepProgressQuery, () => progress);
  const act = restoreActivities();
  const startedAt = new Date();
  const disk = { pool: input.pool, image: input.image };
  const aside = asideImageName(input.image, startedAt);
  const server = { vmId: input.vmId, waitSeconds: input.waitSeconds };

  const check = await act.checkRestore({
    ...disk,
    vmId: input.vmId,
    versionUid: input.versionUid,
    aside,
    host: input.host,
    versionOf: input.versionOf,
    manageServer: input.manageServer,
  });
  recordServer(check.server);
  const plan = [
    input.manageServer ? `stop VM ${input.vmId} and wait until it is SHUTOFF` : `stop no VM (none to manage): the operator states nothing runs on ${disk.image}`,
    `check nobody has ${disk.pool}/${disk.image} open`,
    check.imageExists ? `rename ${disk.pool}/${disk.image} to ${aside} (kept, not deleted)` : `${disk.pool}/${disk.image} does not exist: nothing to move aside`,
    `backy2 restore ${input.versionUid} (${check.snapshotName}, ${check.versionDate}) into ${disk.pool}/${disk.image}`,
    ...(input.glanceSnapshot ? [`create and protect ${disk.pool}/${disk.image}@snap for Glance`] : []),
    input.manageServer ? `start VM ${input.vmId} and wait until it is ACTIVE` : 'start no VM: that is left to the operator',
  ];
  const result = (extra: Partial<RestoreResult>): RestoreResult => ({
    vmId: input.vmId,
    image: input.image,
    host: input.host,
    versionUid: input.versionUid,
    versionDate: check.versionDate,
    snapshotName: check.snapshotName,
    sizeBytes: check.sizeBytes,
    dryRun: input.dryRun,
    plan,
    serverStopped: false,
    serverStarted: false,
    server: check.server,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    ...extra,
  });
  if (input.dryRun) return result({});
  // One operation per disk: no backup snapshots the disk while it is rewritten.
  progress = { step: 'lock', detail: `${disk.pool}/${disk.image}` };
  await lockDisk(disk, 'restore', input.ifBusy, (holder) => (progress = { step: 'lock', detail: `waiting for ${holder}` }));

  // The undo of each step, by name, registered just before the step runs: a step
  // cut short by a cancel may have done its work all the same, and every undo is
  // idempotent. Compensation runs them newest first, in a scope a cancel cannot
  // reach, so a cancelled restore puts everything back as a failed one does.
  const undo = new Map<'stop' | 'move-aside' | 'restore' | 'start', { what: string; run: () => Promise<unknown> }>();
  const startAgain = { what: `start VM ${input.vmId}`, run: () => act.startServer(server) };
  let serverStopped = false;
  let asideImage: string | undefined;
  try {
    if (input.manageServer) {
      progress = { step: 'stop', detail: input.vmId };
      if (check.serverRunning) undo.set('stop', startAgain);
      const { wasRunning } = await act.stopServer(server);
      // A retry of the stop (its worker died after the VM went down) finds it SHUTOFF already and
      // says it was not running; it ran when checked, so this restore stopped it and starts it again.
      // Patched: a restore that ran before this fix replays as it went
      // (test/fixtures/histories/restoreInstance.stop-retry-keeps-running.json).
      serverStopped = wasRunning || (patched('stop-retry-keeps-running') && check.serverRunning);
      if (serverStopped) undo.set('stop', startAgain);
      else undo.delete('stop');
    }
    progress = { step: 'watchers', detail: `${disk.pool}/${disk.image}` };
    if (check.imageExists) await act.checkNoWatchers(disk);

    if (check.imageExists) {
      progress = { step: 'move-aside', detail: aside };
      undo.set('move-aside', { what: `move ${aside} back to ${disk.image}`, run: () => act.moveBack({ ...disk, aside }) });
      await act.moveAside({ ...disk, aside, restoreId: workflowInfo().workflowId });
      asideImage = aside;
      undo.set('restore', { what: `remove the half-restored ${disk.image}`, run: () => act.removeRestored({ ...disk, aside }) });
    }

    progress = { step: 'restore', detail: `${input.versionUid} → ${disk.pool}/${disk.image}` };
    await act.restoreVersion({ ...disk, versionUid: input.versionUid, aside, sizeBytes: check.sizeBytes });
    if (input.glanceSnapshot) await act.protectGlanceSnapshot(disk);

    let serverStarted = false;
    if (input.manageServer && serverStopped) {
      progress = { step: 'start', detail: input.vmId };
      // Until the restore completes, it can still be undone: stop the VM again so the restored image can go.
      undo.set('start', { what: `stop VM ${input.vmId} again`, run: () => act.stopServer(server) });
      await act.startServer(server);
      serverStarted = true;
    }
    // A cancel that came while the last step ran still wins: the restore is undone, not half-kept.
    if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('restore cancelled before it completed');
    // Complete: nothing is undone from here on, and a cancel that comes now changes nothing.
    undo.clear();
    if (asideImage) await CancellationScope.nonCancellable(() => act.markRestoreCompleted({ ...disk, aside }));
    progress = { step: 'done' };
    recordOutcome('restored');
    return result({ asideImage, serverStopped, serverStarted });
  } catch (err) {
    progress = { step: 'compensate', detail: (err as Error).message };
    await CancellationScope.nonCancellable(async () => {
      for (const [name, step] of [...undo].reverse()) {
        try {
          log.warn(`compensating ${name}: ${step.what}`);
          await step.run();
        } catch (undoErr) {
          log.error(`compensation step ${name} failed: ${step.what}`, { error: (undoErr as Error).message });
        }
      }
    });
    // Failed or cancelled, the disk is back as it was: that is what an auditor needs to know.
    recordOutcome('rolled-back');
    throw err;
  }
}
