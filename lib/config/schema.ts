// The vmbackup configuration file: this schema is the single source of truth.
// Types are inferred from it; docs/configuration.md's reference and the editors'
// config/vmbackup.schema.json are generated from it (`npm run docs:config`) and
// checked against it by unit tests.
import { z } from 'zod';
import { HostName, PoolName } from '../naming.ts';
import { backtrackingRisk } from './regex-safety.ts';

const FilePath = z.string().min(1, 'a file path');

/** A DNS name (what a server certificate names), not a URL or an address with a port. */
const ServerName = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'a DNS name such as temporal.example.org');

export const TemporalTlsSchema = z
  .strictObject({
    ca: FilePath.optional().describe("PEM file of the CA that signed the server certificate; omit for the system's CAs"),
    cert: FilePath.optional().describe('PEM client certificate (mTLS) of the CLI, and of every worker without its own `hosts[].temporal_tls`'),
    key: FilePath.optional().describe('PEM private key of `cert`'),
    server_name: ServerName.optional().describe("name the server certificate must carry; omit for the host of `temporal.address` (never turns verification off)"),
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), { message: 'cert and key go together: give both or neither', path: ['key'] });

/** One worker's own client certificate: each backup host proves who it is with its own. */
export const ClientCertSchema = z.strictObject({
  cert: FilePath.describe("PEM client certificate of this host's worker"),
  key: FilePath.describe('PEM private key of `cert`'),
});

export const TemporalSchema = z.strictObject({
  address: z.string().default('127.0.0.1:7233').describe('host:port of the Temporal frontend'),
  namespace: z.string().default('default').describe('Temporal namespace'),
  web_ui: z.url().default('http://127.0.0.1:8233').describe('base URL of the Temporal Web UI, for links'),
  task_queue: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]*$/)
    .default('vmbackup')
    .describe('queue for workflow tasks; host activities go to `<task_queue>.host.<host>`'),
  tls: TemporalTlsSchema.optional().describe('TLS to the frontend; omit for plain TCP'),
});

export const CephSchema = z.strictObject({
  conf: FilePath.default('/etc/ceph/ceph.conf').describe('ceph.conf used by `rbd` and backy2'),
  rbd_bin: FilePath.default('rbd').describe('the `rbd` executable'),
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional()
    .describe('cephx client id (`rbd --id`); omit for the default'),
});

export const EngineSchema = z.strictObject({
  type: z.literal('backy2').default('backy2').describe('backup engine; only backy2 today'),
  bin: FilePath.default('backy2').describe('the backy2 executable'),
  stall_seconds: z
    .int()
    .min(5)
    .max(86_400)
    .default(1800)
    .describe(
      'a backup or restore copy that prints no progress for this long is killed and retried (a hung Ceph OSD never marked down); backy2 reports every half percent, so keep it above the time half a percent of the largest disk takes',
    ),
});

export const ComputeSchema = z.strictObject({
  driver: z
    .enum(['none', 'openstack'])
    .default('none')
    .describe('how a restore stops and starts VMs: `openstack`, or `none` (the operator states the VM is off)'),
  openstack_bin: FilePath.default('openstack').describe('the `openstack` executable'),
  openstack_env: z
    .record(z.string().regex(/^OS_[A-Z0-9_]+$/, 'an OS_* variable name'), z.string())
    .default({})
    .describe('OS_* environment for the `openstack` CLI (OS_AUTH_URL, OS_USERNAME, OS_CLOUD, …)'),
  wait_seconds: z.int().min(1).default(300).describe('how long a restore waits for a VM to stop or start'),
});

export const RestoreSchema = z.strictObject({
  keep_aside_days: z.int().min(0).default(3).describe('days the image a restore replaced is kept (renamed) before purge may remove it'),
});

/** `HH:MM`, 24-hour clock. */
const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM (24-hour)');

/** `HH:MM` every day, or `Ddd HH:MM` (Mon … Sun) once a week. */
const WeeklyTime = z.string().regex(/^((Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?([01]\d|2[0-3]):[0-5]\d$/, 'a time HH:MM (daily) or a weekday and time such as "Sun 06:00" (weekly)');

const TimeZone = z.string().refine(isTimeZone, { error: (issue) => `an IANA time zone such as UTC or Europe/Berlin, got ${JSON.stringify(issue.input)}` });

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A JavaScript regular expression, matched against a whole name, that cannot backtrack catastrophically. */
const NameRegex = z.string().superRefine((source, ctx) => {
  const invalid = regexError(source);
  const risk = invalid === undefined ? backtrackingRisk(source) : undefined;
  if (invalid !== undefined) ctx.addIssue({ code: 'custom', message: `a valid regular expression, got ${JSON.stringify(source)}: ${invalid}` });
  else if (risk !== undefined) ctx.addIssue({ code: 'custom', message: `a regex that cannot stall the nightly job, got ${JSON.stringify(source)}: ${risk}` });
});

function regexError(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export const HostScheduleSchema = z.strictObject({
  time_zone: TimeZone.default('UTC').describe('time zone of the times below'),
  vms: TimeOfDay.optional().describe('daily start of the VM disk backups; omit for none'),
  volumes: TimeOfDay.optional().describe('daily start of the Cinder volume backups; omit for none'),
  images: TimeOfDay.optional().describe('daily start of the Glance image backups; omit for none'),
  purge: TimeOfDay.optional().describe('daily start of the purge of expired backups; omit for none'),
  verify: TimeOfDay.optional().describe('daily start of the scrub of a rolling share of stored versions (`verifyBackups`); omit for none'),
  drill: WeeklyTime.optional().describe('start of the restore drill (`restoreDrill`), e.g. "Sun 06:00" weekly or "06:00" daily; omit for none'),
});

export const HostSchema = z.strictObject({
  name: HostName.describe('backup host name; suffix of every snapshot it makes'),
  backy2_config: FilePath.describe("this host's backy2 config file (its own metadata and data store)"),
  state_dir: FilePath.describe('folder for hints and run files on this host'),
  concurrency: z.int().min(1).max(64).default(2).describe('backups this host runs at once'),
  night_window_hours: z
    .number()
    .min(0.1)
    .max(24)
    .optional()
    .describe("hours this host's night may take, what `vmbackup plan` checks its predicted night against; omit for `monitoring.night_window_hours`"),
  schedule: HostScheduleSchema.prefault({}).describe("this host's nightly Schedules (`vmbackup schedule apply`)"),
  metrics_address: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, e.g. 0.0.0.0:9464 or [::]:9464')
    .optional()
    .describe("host:port where this host's worker serves Prometheus metrics at `/metrics`; omit for none (the worker's `--metrics-address` overrides it)"),
  temporal_tls: ClientCertSchema.optional().describe("this host's worker's client certificate for mTLS, instead of `temporal.tls.cert`/`key` (needs `temporal.tls`)"),
});

/** `ignore`: the project is not backed up anywhere. */
const Assignee = z.union([HostName, z.literal('ignore')]);

export const ProjectAssignmentsSchema = z.strictObject({
  default: Assignee.optional().describe('host (or `ignore`) for every project not listed; omit to back up only listed projects'),
  projects: z
    .record(z.string().min(1), Assignee)
    .default({})
    .describe('project id → backup host, or `ignore`'),
});

export const ExclusionsSchema = z.strictObject({
  global: z.array(NameRegex).default([]).describe('regexes; a name matching one in full is not backed up'),
  projects: z.record(z.string().min(1), z.array(NameRegex)).default({}).describe('project id → regexes for that project only'),
});

export const InventorySchema = z.strictObject({
  driver: z
    .enum(['local', 'openstack'])
    .default('local')
    .describe('`openstack`: servers, volumes and images from the `openstack` CLI (with compute.openstack_*); `local`: the disks in the Ceph pools'),
  file: FilePath.optional().describe('`local` only: YAML of names, projects and states by disk id (see docs/operator-guide.md)'),
  max_vanished_share: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('`remove-unhandled` refuses when more than this share of the disks listed by the last inventory are gone (0.1: 10 %)'),
});

export const PurgeSchema = z.strictObject({
  min_age_days: z.int().min(0).default(3).describe('no backup younger than this is ever removed, expired or not'),
});

export const VerifySchema = z.strictObject({
  scrub_every_nights: z
    .int()
    .min(1)
    .max(365)
    .default(7)
    .describe('every valid version is scrubbed at least once within this many runs of `verifyBackups` (each run takes the least recently scrubbed 1/N)'),
  deep_sample: z
    .int()
    .min(0)
    .max(1000)
    .default(2)
    .describe('disks per run whose newest version is compared block by block with its snapshot (when the snapshot still exists)'),
});

export const DrillSchema = z.strictObject({
  sample: z.int().min(1).max(100).default(2).describe('versions (of different disks) one restore drill restores and checks'),
  pool: PoolName.optional().describe('pool of the scratch images `vmbackup-drill-<host>-<version uid>`; omit for workloads.vms.pool'),
});

export const SchedulePolicySchema = z.strictObject({
  catchup_window_minutes: z.int().min(1).default(360).describe('a run missed while Temporal was down still starts if this late'),
  pause_on_failure: z
    .boolean()
    .default(false)
    .describe('pause a Schedule whose run failed or timed out, until an operator unpauses it (off: one bad night never stops the next ones)'),
  host_answer_seconds: z
    .int()
    .min(1)
    .max(86_400)
    .default(3600)
    .describe("a night whose host's worker takes none of its tasks in this time ends at once as `host unreachable` (an hour: the host may be busy with another workload)"),
  run_limit_hours: z
    .int()
    .min(1)
    .max(168)
    .default(20)
    .describe('a scheduled run still going after this many hours is timed out, so the next one starts (overlap is skip)'),
});

export const MonitoringSchema = z.strictObject({
  night_max_age_hours: z
    .int()
    .min(1)
    .max(24 * 30)
    .default(26)
    .describe('`vmbackup check` is CRITICAL when a scheduled workload of a host has had no successful night for this long (a day plus slack)'),
  night_window_hours: z
    .number()
    .min(0.1)
    .max(168)
    .default(10)
    .describe('a night still running after this many hours is WARNING (it eats into the working day)'),
  stale_backup_days: z
    .number()
    .min(0.5)
    .max(365)
    .default(2)
    .describe('a disk still in the inventory whose newest valid version here is older than this counts in `vmbackup_disks_stale`'),
  refresh_seconds: z
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .describe('how often a worker with metrics on re-reads its store and asks Temporal for its host facts (Schedules, pollers, nights)'),
});

const KeepCount = z.int().min(0).max(100_000);

/**
 * A keep policy in the style of Proxmox Backup Server's prune (lib/keep-policy.ts).
 * One object rather than flat `keep_*` keys: its presence is what switches the
 * workload from expiry to keep rules, and "keeps nothing" is checked on it whole.
 */
export const KeepSchema = z
  .strictObject({
    last: KeepCount.default(0).describe('the newest N valid versions of each disk'),
    daily: KeepCount.default(0).describe('then the newest N valid versions tagged `b_daily` (the first backup of a UTC day) that no rule above keeps'),
    weekly: KeepCount.default(0).describe('then the newest N valid versions tagged `b_weekly` (first backup at least 7 days after the previous one) that no rule above keeps'),
    monthly: KeepCount.default(0).describe('then the newest N valid versions tagged `b_monthly` (first backup at least a calendar month after the previous one) that no rule above keeps'),
  })
  .refine((k) => k.last + k.daily + k.weekly + k.monthly > 0, {
    message: 'a keep policy that keeps nothing: set at least one of last, daily, weekly, monthly above 0, or leave `keep` out to purge by live_for_days',
  });
export type KeepConfig = z.infer<typeof KeepSchema>;

export const WorkloadSchema = z.strictObject({
  pool: PoolName.describe('Ceph pool that holds the images'),
  live_for_days: z.int().min(1).default(8).describe('lifespan recorded with each backup, in days (its `expires_` tag); purge goes by it unless `keep` is set'),
  keep: KeepSchema.optional().describe(
    'keep rules instead of expiry: a version stays while any rule keeps it (or it is protected, the newest valid, or younger than `purge.min_age_days`); omit to purge by `live_for_days`',
  ),
});

export const ConfigSchema = z
  .strictObject({
    temporal: TemporalSchema.prefault({}).describe('where the Temporal service is'),
    ceph: CephSchema.prefault({}).describe('how to reach the Ceph cluster'),
    engine: EngineSchema.prefault({}).describe('the backup engine'),
    compute: ComputeSchema.prefault({}).describe('the compute service, for restores'),
    restore: RestoreSchema.prefault({}).describe('restore behaviour'),
    hosts: z.array(HostSchema).min(1, 'at least one backup host').describe('the backup hosts'),
    inventory: InventorySchema.prefault({}).describe('where the nightly job finds VMs, volumes and images'),
    project_assignments: ProjectAssignmentsSchema.prefault({}).describe('which host backs up which project'),
    exclude: z
      .strictObject({
        servers: ExclusionsSchema.prefault({}).describe('VMs not backed up, by name'),
        volumes: ExclusionsSchema.prefault({}).describe('Cinder volumes not backed up, by name'),
      })
      .prefault({})
      .describe('cattle, hogs and mayflies'),
    purge: PurgeSchema.prefault({}).describe('removal of expired backups'),
    verify: VerifySchema.prefault({}).describe('the scrub of stored versions (`verifyBackups`)'),
    drill: DrillSchema.prefault({}).describe('the restore drill (`restoreDrill`)'),
    schedules: SchedulePolicySchema.prefault({}).describe('policy of every Schedule'),
    monitoring: MonitoringSchema.prefault({}).describe('thresholds of `vmbackup check`, the worker metrics and the alert rules (docs/monitoring.md)'),
    workloads: z
      .strictObject({
        vms: WorkloadSchema.describe('VM root disks `<vm-id>_disk`'),
        volumes: WorkloadSchema.optional().describe('Cinder volumes `volume-<id>`'),
        images: WorkloadSchema.optional().describe('Glance images `<id>` (with their protected snapshot `snap`)'),
      })
      .describe('what is backed up, per workload'),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.hosts.forEach((host, i) => {
      if (seen.has(host.name)) {
        ctx.addIssue({ code: 'custom', path: ['hosts', i, 'name'], message: `duplicate host '${host.name}'` });
      }
      seen.add(host.name);
      if (host.temporal_tls && !config.temporal.tls) {
        ctx.addIssue({ code: 'custom', path: ['hosts', i, 'temporal_tls'], message: 'a client certificate needs TLS: set temporal.tls (at least its `ca`)' });
      }
      for (const workload of ['volumes', 'images'] as const) {
        if (host.schedule[workload] && !config.workloads[workload]) {
          ctx.addIssue({ code: 'custom', path: ['hosts', i, 'schedule', workload], message: `a ${workload} schedule needs workloads.${workload}` });
        }
      }
    });
    const assignee = (value: string | undefined, path: Array<string | number>) => {
      if (value !== undefined && value !== 'ignore' && !seen.has(value)) {
        ctx.addIssue({ code: 'custom', path, message: `unknown host '${value}' (known: ${[...seen].join(', ')}; or 'ignore')` });
      }
    };
    assignee(config.project_assignments.default, ['project_assignments', 'default']);
    for (const [project, host] of Object.entries(config.project_assignments.projects)) assignee(host, ['project_assignments', 'projects', project]);
  });

export type Config = z.infer<typeof ConfigSchema>;
export type HostConfig = z.infer<typeof HostSchema>;
export type MonitoringConfig = z.infer<typeof MonitoringSchema>;
export type TemporalConfig = z.infer<typeof TemporalSchema>;
export type ClientCert = z.infer<typeof ClientCertSchema>;
export type ComputeConfig = z.infer<typeof ComputeSchema>;
export type ProjectAssignments = z.infer<typeof ProjectAssignmentsSchema>;
export type Exclusions = z.infer<typeof ExclusionsSchema>;
