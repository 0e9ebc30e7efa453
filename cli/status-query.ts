// The visibility query behind `vmbackup status`, and the order its rows are
// shown in. Every value is checked before it is quoted into the query, so an
// argument can narrow the list but never change what the query says.
import { z } from 'zod';
import { HostName, VmId, Workload } from '../lib/naming.ts';
import { BackupHost, Operation, Project, VmId as VmIdKey, Workload as WorkloadKey } from '../lib/search-attributes.ts';

export const StatusFilters = z.strictObject({
  host: HostName.optional(),
  vm: VmId.optional(),
  project: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,200}$/, 'a project id: letters, digits, ".", "_" or "-"')
    .optional(),
  operation: z
    .string()
    .regex(/^[a-z][a-z-]{0,39}$/, 'an operation name such as backup, restore, purge')
    .optional(),
  workload: Workload.optional(),
  /** Closed operations started before this are left out; running ones are always shown. */
  since: z.date(),
});
export type StatusFilters = z.infer<typeof StatusFilters>;

/** Every operation of this system carries Operation; the rest of the namespace is not ours. */
export function statusQuery(filters: StatusFilters): string {
  const f = StatusFilters.parse(filters);
  const clauses = [
    `${Operation.name} IS NOT NULL`,
    `(ExecutionStatus = "Running" OR StartTime >= "${f.since.toISOString()}")`,
    ...([
      [Operation.name, f.operation],
      [VmIdKey.name, f.vm],
      [BackupHost.name, f.host],
      [Project.name, f.project],
      [WorkloadKey.name, f.workload],
    ] as const).flatMap(([key, value]) => (value === undefined ? [] : [`${key} = "${value}"`])),
  ];
  return clauses.join(' AND ');
}

/** Running ones first, then the newest start first. */
export function byStatusOrder(a: { running: boolean; startTime: string }, b: { running: boolean; startTime: string }): number {
  return Number(b.running) - Number(a.running) || b.startTime.localeCompare(a.startTime);
}
