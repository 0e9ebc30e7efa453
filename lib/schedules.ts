// The Schedules the config asks for: every host's nightly backups per
// workload and its purge, at the times and time zone in `hosts[].schedule`.
// `vmbackup schedule apply` makes Temporal match this list exactly.
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from './config/schema.ts';
import type { Workload } from './naming.ts';
import type { NightlyInput } from './operations/nightly.ts';
import { nightlyAttributes, nightlyWorkflowPrefix } from './operations/nightly-start.ts';
import { liveForDaysOf, type PurgeExpiredInput } from './operations/purge.ts';
import { BackupHost, Operation } from './search-attributes.ts';

export type ScheduleKind = Workload | 'purge';
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['vms', 'volumes', 'images', 'purge'];

export interface DesiredSchedule {
  scheduleId: string;
  host: string;
  kind: ScheduleKind;
  hour: number;
  minute: number;
  timeZone: string;
  workflowType: 'nightlyBackups' | 'purgeExpired';
  workflowId: string;
  args: [NightlyInput] | [Omit<PurgeExpiredInput, 'asOf'>];
  searchAttributes: SearchAttributePair[];
  /**
   * A run still going after this long is timed out by Temporal. Overlap is skip,
   * so without it a night stuck on a dead host would make every later one skip.
   */
  runLimit: string;
  /** Everything above that a change of config could change; kept in the action's memo to tell "unchanged". */
  fingerprint: string;
}

/** Schedules of one config are told from another's (a test's, a second cloud's) by this prefix. */
export function schedulePrefix(config: Pick<Config, 'temporal'>): string {
  return `${config.temporal.task_queue}/`;
}

export function scheduleId(config: Pick<Config, 'temporal'>, host: string, kind: ScheduleKind): string {
  return `${schedulePrefix(config)}${host}/${kind}`;
}

export function desiredSchedules(config: Config): DesiredSchedule[] {
  const out: DesiredSchedule[] = [];
  for (const host of config.hosts) {
    for (const kind of SCHEDULE_KINDS) {
      const time = host.schedule[kind];
      if (!time) continue;
      const [hour, minute] = time.split(':').map(Number) as [number, number];
      const common = {
        scheduleId: scheduleId(config, host.name, kind),
        host: host.name,
        kind,
        hour,
        minute,
        timeZone: host.schedule.time_zone,
        runLimit: `${config.schedules.run_limit_hours}h`,
      };
      const item: Omit<DesiredSchedule, 'fingerprint'> =
        kind === 'purge'
          ? {
              ...common,
              workflowType: 'purgeExpired',
              workflowId: `purge/${host.name}`,
              args: [{ host: host.name, minAgeDays: config.purge.min_age_days, liveForDays: liveForDaysOf(config.workloads), dryRun: false }],
              searchAttributes: [
                { key: Operation, value: 'purge' },
                { key: BackupHost, value: host.name },
              ],
            }
          : {
              ...common,
              workflowType: 'nightlyBackups',
              workflowId: nightlyWorkflowPrefix(host.name, kind),
              args: [{ host: host.name, workload: kind, hostAnswerSeconds: config.schedules.host_answer_seconds }],
              searchAttributes: nightlyAttributes(host.name, kind),
            };
      out.push({ ...item, fingerprint: JSON.stringify([item.hour, item.minute, item.timeZone, item.workflowType, item.args, config.schedules]) });
    }
  }
  return out;
}

