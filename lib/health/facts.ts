// What Temporal knows of each backup host's health, fetched once and judged
// elsewhere (lib/health/conditions.ts): its last nights, its Schedules, the
// workers polling its queue, its last verify and drill. `vmbackup check` asks
// for every host; a worker with metrics on asks for its own and exports the
// same facts as gauges (workers/health-exporter.ts), so both say the same.
import { type Client, ScheduleNotFoundError, type WorkflowExecutionInfo } from '@temporalio/client';
import type { Config, HostConfig } from '../config/schema.ts';
import { Outcome } from '../search-attributes.ts';
import type { Workload } from '../naming.ts';
import { type ScheduleKind, scheduleId } from '../schedules.ts';
import { hostTaskQueue } from '../task-queues.ts';

const TASK_QUEUE_TYPE_ACTIVITY = 2;
const WORKLOADS: readonly Workload[] = ['vms', 'volumes', 'images'];

/** One closed run, as visibility lists it. */
export interface RunFact {
  workflowId: string;
  /** COMPLETED, FAILED, TIMED_OUT, TERMINATED, CANCELLED. */
  status: string;
  /** The Outcome search attribute: ok, partial, unreachable (nights); ok, failed (verify, drill). */
  outcome?: string | undefined;
  closedAt: string;
  /** Disks that failed, from a night's memo. */
  failedDisks?: number | undefined;
}

export interface NightFacts {
  workload: Workload;
  /** The newest night that completed and backed up (Outcome ok or partial). */
  lastSuccess?: RunFact | undefined;
  /** The newest night that closed (not continued as new), whatever its end. */
  last?: RunFact | undefined;
  /** A night running now, and when its first run began (a long night continues as new). */
  running?: { workflowId: string; startedAt: string } | undefined;
}

export interface ScheduleFacts {
  kind: ScheduleKind;
  scheduleId: string;
  /** False when the config asks for it and Temporal has none (`vmbackup schedule apply` not run). */
  exists: boolean;
  paused: boolean;
  note?: string | undefined;
}

export interface CheckRunFacts {
  kind: 'verify' | 'drill';
  last?: RunFact | undefined;
}

export interface HostFacts {
  host: string;
  queue: string;
  /** Workers polling the host's activity queue, as Temporal sees them now. */
  pollers: number;
  /** One per workload the host has a Schedule for. */
  nights: NightFacts[];
  /** One per Schedule the config asks of this host. */
  schedules: ScheduleFacts[];
  /** verify and drill, when the host has their Schedule. */
  checks: CheckRunFacts[];
}

/** Facts of each host; hosts are asked in parallel, their calls too. */
export async function fetchHostFacts(client: Client, config: Config, hosts: readonly HostConfig[]): Promise<HostFacts[]> {
  return Promise.all(hosts.map((host) => fetchOneHost(client, config, host)));
}

async function fetchOneHost(client: Client, config: Config, host: HostConfig): Promise<HostFacts> {
  const { namespace, task_queue: baseQueue } = config.temporal;
  const queue = hostTaskQueue(baseQueue, host.name);
  const scheduled = WORKLOADS.filter((w) => host.schedule[w] !== undefined);
  const kinds = (['vms', 'volumes', 'images', 'purge', 'verify', 'drill'] as const).filter((k) => host.schedule[k] !== undefined);
  const checkKinds = (['verify', 'drill'] as const).filter((k) => host.schedule[k] !== undefined);
  // Only this config's runs: a test or a second cloud on the same Temporal uses another queue.
  const scope = `BackupHost = ${quote(host.name)} AND TaskQueue = ${quote(baseQueue)}`;
  const [pollers, nights, schedules, checks] = await Promise.all([
    client.workflowService
      .describeTaskQueue({ namespace, taskQueue: { name: queue }, taskQueueType: TASK_QUEUE_TYPE_ACTIVITY })
      .then((res) => res.pollers?.length ?? 0),
    Promise.all(scheduled.map((workload) => nightFacts(client, `Operation = "nightly" AND ${scope} AND Workload = ${quote(workload)}`, workload))),
    Promise.all(kinds.map((kind) => scheduleFacts(client, scheduleId(config, host.name, kind), kind))),
    Promise.all(checkKinds.map(async (kind) => ({ kind, last: await newest(client, `Operation = ${quote(kind)} AND ${scope} AND ${CLOSED}`) }))),
  ]);
  return { host: host.name, queue, pollers, nights, schedules, checks };
}

/** Closed for good: a run that continued as new is not the end of its night. */
const CLOSED = 'ExecutionStatus != "Running" AND ExecutionStatus != "ContinuedAsNew"';

async function nightFacts(client: Client, query: string, workload: Workload): Promise<NightFacts> {
  const [lastSuccess, last, runningRun] = await Promise.all([
    newest(client, `${query} AND ExecutionStatus = "Completed" AND Outcome IN ("ok", "partial")`),
    newest(client, `${query} AND ${CLOSED}`),
    firstListed(client, `${query} AND ExecutionStatus = "Running"`),
  ]);
  let running: NightFacts['running'];
  if (runningRun) {
    // A night continues as new every few hundred disks: its start is its first run's.
    let startedAt = runningRun.startTime;
    for await (const run of client.workflow.list({ query: `WorkflowId = ${quote(runningRun.workflowId)}` })) {
      if (run.startTime < startedAt) startedAt = run.startTime;
    }
    running = { workflowId: runningRun.workflowId, startedAt: startedAt.toISOString() };
  }
  return { workload, lastSuccess, last, running };
}

async function scheduleFacts(client: Client, id: string, kind: ScheduleKind): Promise<ScheduleFacts> {
  try {
    const d = await client.schedule.getHandle(id).describe();
    return { kind, scheduleId: id, exists: true, paused: d.state.paused, note: d.state.note };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { kind, scheduleId: id, exists: false, paused: false };
    throw err;
  }
}

async function newest(client: Client, query: string): Promise<RunFact | undefined> {
  const wf = await firstListed(client, query);
  if (!wf) return undefined;
  const memo = wf.memo as { summary?: { counts?: { failed?: number } } } | undefined;
  return {
    workflowId: wf.workflowId,
    status: wf.status.name,
    outcome: wf.typedSearchAttributes.get(Outcome),
    closedAt: (wf.closeTime ?? wf.startTime).toISOString(),
    failedDisks: memo?.summary?.counts?.failed,
  };
}

/** Visibility lists the newest first. */
async function firstListed(client: Client, query: string): Promise<WorkflowExecutionInfo | undefined> {
  for await (const wf of client.workflow.list({ query, pageSize: 1 })) return wf;
  return undefined;
}

/** A visibility string literal; host names and workloads are validated, this keeps a stray quote harmless. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}
