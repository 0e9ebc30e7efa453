// The Schedules the config asks for: every host's nightly backups per
// workload, its purge, its verify and its restore drill, at the times and time
// zone in `hosts[].schedule`.
// `vmbackup schedule apply` makes Temporal match this list exactly.
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from './config/schema.ts';
import type { Workload } from './naming.ts';
import type { NightlyInput } from './operations/nightly.ts';
import { nightlyAttributes, nightlyWorkflowPrefix } from './operations/nightly-start.ts';
import { keepRulesOf, liveForDaysOf, type PurgeExpiredInput } from './operations/purge.ts';
import type { RestoreDrillInput, VerifyBackupsInput } from './operations/verify.ts';
import { startDetails, startSummary } from './audit/summary.ts';
import { BackupHost, Operation, type OperationName, StartedBy } from './search-attributes.ts';

export type ScheduleKind = Workload | 'purge' | 'verify' | 'drill';
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['vms', 'volumes', 'images', 'purge', 'verify', 'drill'];

export const WEEKDAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ScheduleTime {
  hour: number;
  minute: number;
  /** Set for a weekly run; a daily run has none. */
  dayOfWeek?: Weekday;
}

/** `HH:MM` (daily) or `Ddd HH:MM` (weekly), as the config schema admits them. */
export function parseScheduleTime(text: string): ScheduleTime {
  const m = /^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw new Error(`not a schedule time: ${JSON.stringify(text)} (expected HH:MM or e.g. "Sun 06:00")`);
  const day = m[1] ? WEEKDAYS.find((d) => d.startsWith(m[1]!.toUpperCase())) : undefined;
  return { hour: Number(m[2]), minute: Number(m[3]), ...(day ? { dayOfWeek: day } : {}) };
}

/** How `schedule list` and `apply` show a time: `daily 05:00 UTC`, `Sun 06:00 UTC`. */
export function describeScheduleTime(t: ScheduleTime & { timeZone: string }): string {
  const hhmm = `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
  const day = t.dayOfWeek ? t.dayOfWeek.charAt(0) + t.dayOfWeek.slice(1, 3).toLowerCase() : 'daily';
  return `${day} ${hhmm} ${t.timeZone}`;
}

export interface DesiredSchedule extends ScheduleTime {
  scheduleId: string;
  host: string;
  kind: ScheduleKind;
  timeZone: string;
  workflowType: 'nightlyBackups' | 'purgeExpired' | 'verifyBackups' | 'restoreDrill';
  workflowId: string;
  args: [NightlyInput] | [Omit<PurgeExpiredInput, 'asOf'>] | [VerifyBackupsInput] | [RestoreDrillInput];
  /** Ends with StartedBy = the Schedule's id: who started a scheduled run, in the audit trail. */
  searchAttributes: SearchAttributePair[];
  /** The Web UI's one-line summary and details of each run (lib/audit/summary.ts). */
  staticSummary: string;
  staticDetails: string;
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
      const common = {
        scheduleId: scheduleId(config, host.name, kind),
        host: host.name,
        kind,
        ...parseScheduleTime(time),
        timeZone: host.schedule.time_zone,
        runLimit: `${config.schedules.run_limit_hours}h`,
      };
      const checkAttributes = (operation: OperationName) => [
        { key: Operation, value: operation },
        { key: BackupHost, value: host.name },
      ];
      const item: Omit<DesiredSchedule, 'fingerprint' | 'staticSummary' | 'staticDetails'> =
        kind === 'verify'
          ? {
              ...common,
              workflowType: 'verifyBackups',
              workflowId: `verify/${host.name}`,
              args: [{ host: host.name, scrubEveryNights: config.verify.scrub_every_nights, deepSample: config.verify.deep_sample }],
              searchAttributes: checkAttributes('verify'),
            }
          : kind === 'drill'
          ? {
              ...common,
              workflowType: 'restoreDrill',
              workflowId: `drill/${host.name}`,
              args: [{ host: host.name, sample: config.drill.sample, scratchPool: config.drill.pool ?? config.workloads.vms.pool }],
              searchAttributes: checkAttributes('drill'),
            }
          : kind === 'purge'
          ? {
              ...common,
              workflowType: 'purgeExpired',
              workflowId: `purge/${host.name}`,
              args: [{ host: host.name, minAgeDays: config.purge.min_age_days, liveForDays: liveForDaysOf(config.workloads), ...keepRulesOf(config.workloads), dryRun: false }],
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
      const searchAttributes = [...item.searchAttributes, { key: StartedBy, value: item.scheduleId }];
      const facts = { workflowType: item.workflowType, attributes: searchAttributes, input: item.args[0] };
      const staticSummary = `${startSummary(facts)} (scheduled)`;
      const audited = { ...item, searchAttributes, staticSummary, staticDetails: startDetails(facts, staticSummary) };
      // The summary is in the fingerprint: a Schedule applied before the audit trail is updated once to carry it.
      out.push({ ...audited, fingerprint: JSON.stringify([item.hour, item.minute, ...(item.dayOfWeek ? [item.dayOfWeek] : []), item.timeZone, item.workflowType, item.args, config.schedules, staticSummary]) });
    }
  }
  return out;
}

