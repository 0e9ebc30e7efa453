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
/** Who started the operation: `<user>@<host>` of the CLI, or the id of the Schedule that did (lib/audit.ts). */
export const StartedBy = defineSearchAttributeKey('StartedBy', SearchAttributeType.KEYWORD);
/** The VM's (volume's, image's) name when the starter knew it, so an auditor can search by name. */
export const VmName = defineSearchAttributeKey('VmName', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [VmId, Project, BackupHost, Operation, Workload, Outcome, StartedBy, VmName] as const;

export type OperationName = 'backup' | 'plan' | 'list' | 'restore' | 'purge' | 'nightly' | 'verify' | 'drill';

/** The attributes a single-disk operation starts with. */
export function diskOperationAttributes(op: {
  operation: OperationName;
  vmId: string;
  host: string;
  project?: string | undefined;
  workload?: string;
  /** The VM's name, when the starter knows it (the night's inventory does; the CLI by id does not yet). */
  vmName?: string | undefined;
}): SearchAttributePair[] {
  return [
    { key: Operation, value: op.operation },
    { key: VmId, value: op.vmId },
    ...(op.vmName ? [{ key: VmName, value: op.vmName }] : []),
    { key: BackupHost, value: op.host },
    { key: Project, value: op.project ?? 'unknown' },
    { key: Workload, value: op.workload ?? 'vms' },
  ];
}
