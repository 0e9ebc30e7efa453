// The visibility query behind `vmbackup status`, and the order its rows are
// shown in. Every value is checked before it is quoted into the query, so an
// argument can narrow the list but never change what the query says.
import { z } from 'zod';
import { InvalidInputError } from '../lib/errors.ts';
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

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: a span back from `now` (`90m`, `24h`, `7d`) or a date (`2026-11-24`, ISO 8601). */
export function parseSince(text: string, now: Date): Date {
  const span = /^(\d+)([smhdw])$/.exec(text.trim());
  if (span) return new Date(now.getTime() - Number(span[1]) * UNITS[span[2]!]!);
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new InvalidInputError(`--since '${text}': expected a span such as 90m, 24h, 7d, or a date such as 2026-11-24`);
  return at;
}

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
