// A client of the real Temporal dev server the stack runs.
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../lib/config/schema.ts';
import { schedulePrefix } from '../../lib/schedules.ts';
import { config } from './stack.ts';

export async function connectClient(): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({ connection, namespace: config.temporal.namespace });
}

/** Workflow executions a visibility query finds (the dev server indexes them within a second or two). */
export async function findWorkflows(client: Client, query: string, expectAtLeast = 1): Promise<Array<{ workflowId: string; runId: string }>> {
  for (let i = 0; i < 50; i++) {
    const found: Array<{ workflowId: string; runId: string }> = [];
    for await (const wf of client.workflow.list({ query })) found.push({ workflowId: wf.workflowId, runId: wf.runId });
    if (found.length >= expectAtLeast) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  return [];
}

/**
 * Deletes every Schedule of this config (its task queue's prefix): what a test's
 * `schedule apply` made, and ends the runs they started that still run. The
 * Schedules carry config/local.yaml's real times (purge 04:00 and 04:30 UTC...):
 * one that fires while its test runs starts a purge or night that outlives the
 * test's workers, and every later night and purge on that store would wait for it.
 */
export async function deleteSchedules(client: Client, of: Config): Promise<void> {
  const prefix = schedulePrefix(of);
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(prefix)) await client.schedule.getHandle(s.scheduleId).delete();
  // The prefix is the config's validated task queue: no quote can reach the query.
  const query = `TemporalScheduledById STARTS_WITH "${prefix}" AND ExecutionStatus = "Running"`;
  for await (const wf of client.workflow.list({ query })) {
    await client.workflow.getHandle(wf.workflowId, wf.runId).terminate('its Schedule belonged to a test that ended').catch(() => undefined);
  }
}
