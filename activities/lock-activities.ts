// Who holds a disk's lock (lib/operations/disk-lock.ts). Only asked when a lock
// could not be taken, to name the holder and to tell a live holder from one
// that just ended (the server closes its lock a moment later). A describe reads
// the execution itself, not visibility, so the answer is current.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { DiskLockState } from '../lib/operations/disk-lock.ts';

export function createLockActivities(deps: { temporal: Client }) {
  const status = async (workflowId: string, runId?: string | null) => {
    try {
      return await deps.temporal.workflow.getHandle(workflowId, runId ?? undefined).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  };
  return {
    async describeDiskLock(input: { lockId: string }): Promise<DiskLockState> {
      const lock = await status(input.lockId);
      if (!lock || lock.status.name !== 'RUNNING') return { held: false, holderRunning: false };
      const parent = lock.parentExecution;
      const holder = parent?.workflowId ? await status(parent.workflowId, parent.runId) : undefined;
      return { held: true, holder: parent?.workflowId ?? undefined, holderRunning: holder?.status.name === 'RUNNING' };
    },
  };
}
export type LockActivities = ReturnType<typeof createLockActivities>;
