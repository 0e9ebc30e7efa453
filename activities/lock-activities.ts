// Who holds a disk's lock (lib/operations/disk-lock.ts). Only asked when a lock
// could not be taken, to name the holder and to tell a live holder from one
// that just ended (the server closes its lock a moment later). A describe reads
// the execution itself, not visibility, so the answer is current.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { type DiskLockState, diskLockId } from '../lib/operations/disk-lock.ts';

/** The state of the lock `lockId`, read from the execution itself. */
export async function diskLockState(temporal: Client, lockId: string): Promise<DiskLockState> {
  const status = async (workflowId: string, runId?: string | null) => {
    try {
      return await temporal.workflow.getHandle(workflowId, runId ?? undefined).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  };
  const lock = await status(lockId);
  if (!lock || lock.status.name !== 'RUNNING') return { held: false, holderRunning: false };
  const parent = lock.parentExecution;
  const holder = parent?.workflowId ? await status(parent.workflowId, parent.runId) : undefined;
  return { held: true, holder: parent?.workflowId ?? undefined, holderRunning: holder?.status.name === 'RUNNING' };
}

/**
 * Who holds the disk a stored version was made of, for steps that remove
 * versions: a purge never removes a version that a restore is reading. A
 * version is named after its image; the image may live in any configured pool.
 */
export interface DiskLocks {
  holderOf(image: string): Promise<string | undefined>;
}

export function createDiskLocks(temporal: Client, pools: readonly string[]): DiskLocks {
  return {
    async holderOf(image) {
      for (const pool of pools) {
        const state = await diskLockState(temporal, diskLockId(pool, image));
        if (state.held) return state.holder ?? 'another operation';
      }
      return undefined;
    },
  };
}

export function createLockActivities(deps: { temporal: Client }) {
  return {
    async describeDiskLock(input: { lockId: string }): Promise<DiskLockState> {
      return diskLockState(deps.temporal, input.lockId);
    },
  };
}
export type LockActivities = ReturnType<typeof createLockActivities>;
