// Backups and purges of one backy2 store never overlap: backy2 2.9 holds
// SQLite's write lock for a whole backup, and the tooling this replaces had
// backup and purge fighting over it. Whichever starts second waits here, in an
// activity (workflows cannot query visibility), until the other has finished.
// Each waits only for operations that started before it: a nightly run and a
// purge that start together never wait for each other for ever.
// The worker also runs every backy2 write of its store one at a time (see
// engine/serial.ts), so even a start in the same second cannot fight for the lock.
import { Context, sleep } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { HostName } from '../lib/naming.ts';
import type { OperationName } from '../lib/search-attributes.ts';
import { holdPoint } from './test-hooks.ts';

export interface AwaitStoreIdleInput {
  host: string;
  /** Operations on this host's store to wait for. */
  operations: OperationName[];
  /** The caller's own start (workflowInfo().startTime): only operations started earlier are waited for. */
  startedBefore: string;
  /** Poll interval; visibility is eventually consistent, a few seconds is plenty. */
  pollSeconds?: number;
}

export interface AwaitStoreIdleResult {
  /** Workflow ids that were running when the wait began (or later), in the order seen. */
  waitedFor: string[];
  waitedSeconds: number;
}

export function createStoreActivities(deps: { temporal: Client }) {
  return {
    async awaitStoreIdle(input: AwaitStoreIdleInput): Promise<AwaitStoreIdleResult> {
      const ctx = Context.current();
      const self = ctx.info.workflowExecution?.workflowId ?? '';
      const ops = input.operations.map((o) => `"${o}"`).join(', ');
      const before = new Date(input.startedBefore).toISOString(); // a date, never a piece of query
      const query = `BackupHost = "${HostName.parse(input.host)}" AND ExecutionStatus = "Running" AND Operation IN (${ops}) AND StartTime < "${before}"`;
      const started = Date.now();
      const waitedFor: string[] = [];
      for (;;) {
        const running: string[] = [];
        for await (const wf of deps.temporal.workflow.list({ query })) {
          // A nightly run's own children and the caller itself are not in the way.
          if (wf.workflowId !== self && !wf.workflowId.startsWith(`${self}/`)) running.push(wf.workflowId);
        }
        for (const id of running) if (!waitedFor.includes(id)) waitedFor.push(id);
        if (running.length === 0) return { waitedFor, waitedSeconds: Math.round((Date.now() - started) / 1000) };
        ctx.heartbeat({ step: 'waiting', waitingFor: running });
        for (const id of running) await holdPoint('store.waits-for', id);
        await sleep((input.pollSeconds ?? 3) * 1000); // rejects when the activity is cancelled
      }
    },
  };
}
export type StoreActivities = ReturnType<typeof createStoreActivities>;
