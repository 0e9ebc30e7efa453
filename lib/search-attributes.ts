// Search attributes set on every workflow, so the Web UI and `vmbackup status`
// can filter history by VM, project, host and operation. They are registered by
// scripts/stack.sh (dev server) or `temporal operator search-attribute create`.
import { defineSearchAttributeKey, type SearchAttributePair, SearchAttributeType } from '@temporalio/common';

export const VmId = defineSearchAttributeKey('VmId', SearchAttributeType.KEYWORD);
export const Project = defineSearchAttributeKey('Project', SearchAttributeType.KEYWORD);
export const BackupHost = defineSearchAttributeKey('BackupHost', SearchAttributeType.KEYWORD);
export const Operation = defineSearchAttributeKey('Operation', SearchAttributeType.KEYWORD);
export const Workload = defineSearchAttributeKey('Workload', SearchAttributeType.KEYWORD);
export const Outcome = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [VmId, Project, BackupHost, Operation, Workload, Outcome] as const;

export type OperationName = 'backup' | 'plan' | 'list' | 'restore' | 'purge' | 'nightly' | 'verify' | 'drill';

/** The attributes a single-disk operation starts with. */
export function diskOperationAttributes(op: {
  operation: OperationName;
  vmId: string;
  host: string;
  project?: string | undefined;
  workload?: string;
}): SearchAttributePair[] {
  return [
    { key: Operation, value: op.operation },
    { key: VmId, value: op.vmId },
    { key: BackupHost, value: op.host },
    { key: Project, value: op.project ?? 'unknown' },
    { key: Workload, value: op.workload ?? 'vms' },
  ];
}
