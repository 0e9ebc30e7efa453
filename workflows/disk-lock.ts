// The per-disk lock (see lib/operations/disk-lock.ts for why it is a workflow
// id): `diskLock` is the lock itself, `lockDisk` is how an operation takes it.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  ParentClosePolicy,
  proxyActivities,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { LockActivities } from '../activities/lock-activities.ts';
import { type DiskLockInput, DiskLockInput as InputSchema, diskLockId, type IfBusy } from '../lib/operations/disk-lock.ts';
import { parseInput } from './parse-input.ts';

/** Held until its holder ends: the holder's close terminates it (ParentClosePolicy.TERMINATE). */
export async function diskLock(raw: DiskLockInput): Promise<void> {
  parseInput(InputSchema, raw);
  await condition(() => false);
}

/** How long `ifBusy: 'wait'` waits; it looks again after 10 s, then less often, up to every 5 min (a bounded history). */
const WAIT_LIMIT_MS = 12 * 3600_000;
const FIRST_POLL_MS = 10_000;
const MAX_POLL_MS = 300_000;
/** Looks at a lock whose holder has ended, while the server closes it: more than this means something is wrong. */
const CLOSING_LOOKS = 30;

/**
 * Takes the lock of `pool/image` for the calling workflow, for the rest of its
 * run. Busy: `refuse` fails at once with a DiskBusyError naming the holder;
 * `wait` looks again, less and less often, for up to 12 h. A holder that has
 * just ended is always waited for: the server closes its lock a moment later.
 */
export async function lockDisk(disk: { pool: string; image: string }, operation: string, ifBusy: IfBusy, onWait?: (holder: string) => void): Promise<void> {
  const info = workflowInfo();
  const workflowId = diskLockId(disk.pool, disk.image);
  const { describeDiskLock } = proxyActivities<LockActivities>({ startToCloseTimeout: '1m', retry: { maximumAttempts: 10 } });
  const waitUntil = Date.now() + WAIT_LIMIT_MS;
  let pollMs = FIRST_POLL_MS;
  for (let closingLooks = 0; ; ) {
    try {
      // Outside the holder's cancellation: a cancelled holder keeps its lock while it undoes its work
      // (a restore putting the original back); the lock ends only when the holder closes.
      await CancellationScope.nonCancellable(() =>
        startChild(diskLock, {
          workflowId,
          taskQueue: info.taskQueue,
          args: [{ pool: disk.pool, image: disk.image, holder: info.workflowId, operation }],
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          staticSummary: `lock of ${disk.pool}/${disk.image}: ${operation} ${info.workflowId}`,
        }),
      );
      return;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const state = await describeDiskLock({ lockId: workflowId });
    const holder = state.holder ?? 'another operation';
    if (state.held && !state.holderRunning && closingLooks >= CLOSING_LOOKS) {
      throw busy(`${disk.pool}/${disk.image}: its lock ${workflowId} outlived its holder ${holder}; terminate the lock workflow in the Web UI`, holder);
    }
    if (state.held && state.holderRunning) {
      if (ifBusy === 'refuse') throw busy(`${disk.pool}/${disk.image} is busy: ${holder} holds its lock`, holder);
      if (Date.now() > waitUntil) throw busy(`${disk.pool}/${disk.image} is still busy after 12 h: ${holder} holds its lock`, holder);
      log.info(`waiting for ${holder} to release ${disk.pool}/${disk.image}`);
      onWait?.(holder);
      await sleep(pollMs);
      pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
    } else {
      closingLooks += 1;
      await sleep('1s');
    }
  }
}

function busy(message: string, holder: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'DiskBusyError', nonRetryable: true, message, details: [{ holder }] });
}
