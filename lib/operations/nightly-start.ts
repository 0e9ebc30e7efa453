// How a night is started, by `vmbackup run-nightly` and by the Schedules
// alike, so both runs look the same in the Web UI and in `vmbackup status`.
import type { SearchAttributePair } from '@temporalio/common';
import type { Workload } from '../naming.ts';
import { BackupHost, Operation, Workload as WorkloadAttribute } from '../search-attributes.ts';

/** Workflow ids of one host's nights for one workload start with this (a Schedule appends the time). */
export function nightlyWorkflowPrefix(host: string, workload: Workload): string {
  return `nightly/${host}/${workload}`;
}

export function nightlyAttributes(host: string, workload: Workload, dryRun = false): SearchAttributePair[] {
  return [
    { key: Operation, value: dryRun ? 'plan' : 'nightly' },
    { key: BackupHost, value: host },
    { key: WorkloadAttribute, value: workload },
  ];
}
