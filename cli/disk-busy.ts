// One operation at a time per disk: a backup and a restore of the same VM never
// interleave. Running operations are found through Temporal visibility (the
// VmId and Operation search attributes every workflow carries).
import type { Client } from '@temporalio/client';
import { DiskBusyError } from '../lib/errors.ts';

/** Refuses while an operation of `operations` on the same VM runs: a backup and a restore never interleave. */
export async function assertDiskIdle(client: Client, vmId: string, operations: string[]): Promise<void> {
  const ops = operations.map((o) => `"${o}"`).join(', ');
  for await (const wf of client.workflow.list({ query: `VmId = "${vmId}" AND ExecutionStatus = "Running" AND Operation IN (${ops})` })) {
    throw new DiskBusyError(`VM ${vmId} has a running operation: ${wf.workflowId}`, 'Wait for it to finish (or cancel it in the Web UI), then try again.');
  }
}
