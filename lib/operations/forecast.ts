// Input and result of the `nightForecast` workflow (`vmbackup plan`): one
// host's next night as its worker sees it, by the assignments and exclusions
// the CLI passes (so a proposed config can be checked before the workers get
// it). Read-only: the inventory is taken and recorded nowhere, the store only read.
import { z } from 'zod';
import { ExclusionsSchema, ProjectAssignmentsSchema } from '../config/schema.ts';
import type { ProjectWork } from '../forecast/disk-work.ts';
import { HostName, Workload } from '../naming.ts';

export const NightForecastInput = z.strictObject({
  host: HostName,
  workload: Workload.default('vms'),
  assignments: ProjectAssignmentsSchema,
  exclusions: z.strictObject({ servers: ExclusionsSchema, volumes: ExclusionsSchema }),
  /** Store stats this recent make the read rate and the changed-bytes estimates. */
  historyDays: z.int().min(1).max(90).default(14),
});
export type NightForecastInput = z.input<typeof NightForecastInput>;
/** What the host's activity gets: the parsed input, less the host (the queue names it). */
export type ForecastNightInput = Omit<z.output<typeof NightForecastInput>, 'host'>;

export interface NightForecastFacts {
  host: string;
  workload: Workload;
  inventory: { driver: string; disks: number; takenAt: string };
  /** Disks tonight's plan backs up, and of those the ones with no valid version here (full copies). */
  planned: number;
  full: number;
  /** Per-lane read rate of the store's recent copies; undefined when it has none. */
  readBytesPerSecond: number | undefined;
  /** Versions whose stats were read. */
  statsRead: number;
  /** Tonight's disks summed per project (at most PROJECTS_MAX rows). */
  projects: ProjectWork[];
}
