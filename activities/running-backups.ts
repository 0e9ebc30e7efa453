// Which images have a backup running right now on a host, from Temporal
// visibility. Cleanup steps (dangling snapshots, invalid versions) leave those
// images alone: a running backup's snapshot has no version yet, and its version
// stays invalid until the copy ends, so both look like leftovers while it runs.
import type { Client } from '@temporalio/client';
import { HostName, type Workload, workloadImage } from '../lib/naming.ts';
import { BackupHost, Operation, VmId, Workload as WorkloadKey } from '../lib/search-attributes.ts';

/** Image name → id of the backup workflow running on it. */
export async function runningBackups(temporal: Client, host: string): Promise<Map<string, string>> {
  // The host name is checked, so it cannot break out of the quoted string.
  const query = `${BackupHost.name} = "${HostName.parse(host)}" AND ExecutionStatus = "Running" AND ${Operation.name} = "backup"`;
  const running = new Map<string, string>();
  for await (const wf of temporal.workflow.list({ query })) {
    const vmId = wf.typedSearchAttributes.get(VmId);
    if (vmId === undefined) continue;
    const workload = (wf.typedSearchAttributes.get(WorkloadKey) ?? 'vms') as Workload;
    running.set(workloadImage(workload, vmId), wf.workflowId);
  }
  return running;
}
