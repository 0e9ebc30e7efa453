// Who holds a disk's lock (lib/operations/disk-lock.ts). Only asked when a lock
// could not be taken, to name the holder and to tell a live holder from one
// that just ended (the server closes its lock a moment later). A describe reads
// the execution itself, not visibility, so the answer is current.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { diskIdFromImage, Workload } from '../lib/naming.ts';
import { type DiskLockState, diskLockId } from '../lib/operations/disk-lock.ts';
import { holdPoint } from './test-hooks.ts';

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
 * version is named after its image, whose name says its workload, and so its pool.
 */
export interface DiskLocks {
  holderOf(image: string): Promise<string | undefined>;
}

export function createDiskLocks(temporal: Client, workloads: Partial<Record<Workload, { pool: string }>>): DiskLocks {
  return {
    async holderOf(image) {
      const workload = Workload.options.find((w) => workloads[w] && diskIdFromImage(w, image) !== undefined);
      if (!workload) return undefined; // no disk of a configured workload: nothing can lock it
      const state = await diskLockState(temporal, diskLockId(workloads[workload]!.pool, image));
      return state.held ? (state.holder ?? 'another operation') : undefined;
    },
  };
}

export function createLockActivities(deps: { temporal: Client }) {
  return {
    async describeDiskLock(input: { lockId: string }): Promise<DiskLockState> {
      const state = await diskLockState(deps.temporal, input.lockId);
      await holdPoint('lock.busy', input.lockId);
      return state;
    },
  };
}
export type LockActivities = ReturnType<typeof createLockActivities>;
