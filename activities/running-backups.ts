// Disk operations running right now, from Temporal visibility (the VmId,
// Workload, Operation and BackupHost attributes every single-disk workflow
// carries). Cleanup steps (dangling snapshots, invalid versions) leave disks
// with a running backup alone: a running backup's snapshot has no version yet,
// and its version stays invalid until the copy ends, so both look like
// leftovers while it runs. The nightly job skips disks with a running restore.
import type { Client } from '@temporalio/client';
import { HostName, type Workload, workloadImage } from '../lib/naming.ts';
import { BackupHost, Operation, type OperationName, VmId, Workload as WorkloadKey } from '../lib/search-attributes.ts';

export interface RunningDiskOperation {
  vmId: string;
  workload: Workload;
  workflowId: string;
}

/** Running `operation` workflows, on `host` when given. */
export async function runningDiskOperations(temporal: Client, operation: OperationName, host?: string): Promise<RunningDiskOperation[]> {
  // The host name is checked, so it cannot break out of the quoted string.
  const onHost = host === undefined ? '' : ` AND ${BackupHost.name} = "${HostName.parse(host)}"`;
  const query = `${Operation.name} = "${operation}" AND ExecutionStatus = "Running"${onHost}`;
  const running: RunningDiskOperation[] = [];
  for await (const wf of temporal.workflow.list({ query })) {
    const vmId = wf.typedSearchAttributes.get(VmId);
    if (vmId === undefined) continue;
    running.push({ vmId, workload: (wf.typedSearchAttributes.get(WorkloadKey) ?? 'vms') as Workload, workflowId: wf.workflowId });
  }
  return running;
}

/** Image name → id of the backup workflow running on it, on `host`. */
export async function runningBackups(temporal: Client, host: string): Promise<Map<string, string>> {
  const running = await runningDiskOperations(temporal, 'backup', host);
  return new Map(running.map((r) => [workloadImage(r.workload, r.vmId), r.workflowId]));
}
