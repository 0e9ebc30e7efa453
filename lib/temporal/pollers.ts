// Which backup hosts have a worker polling right now: a host queue with no
// poller would hold an activity until its timeout, so callers skip and report it.
import type { Client } from '@temporalio/client';
import { hostTaskQueue } from '../task-queues.ts';

const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/** Why a host was not asked: what every command says of it. */
export const NO_WORKER = 'no worker is polling its task queue';

export async function hostsWithWorkers(client: Client, namespace: string, baseQueue: string, hosts: readonly string[]): Promise<Set<string>> {
  const alive = await Promise.all(
    hosts.map(async (host) => {
      const res = await client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: hostTaskQueue(baseQueue, host) },
        taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
      });
      return (res.pollers?.length ?? 0) > 0 ? host : undefined;
    }),
  );
  return new Set(alive.filter((h): h is string => h !== undefined));
}

/** A worker polling a queue, as Temporal saw it: its identity and its latest poll. */
export interface Poller {
  queue: string;
  identity: string;
  lastPoll: Date;
}

/** Every worker that polled these queues (workflow and activity tasks) within `withinMs`: a stopped one stays listed for minutes. */
export async function recentPollers(client: Client, namespace: string, queues: readonly string[], withinMs: number): Promise<Poller[]> {
  const since = Date.now() - withinMs;
  const lists = await Promise.all(
    queues.flatMap((queue) =>
      [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY].map(async (taskQueueType) => {
        const res = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: queue }, taskQueueType });
        return (res.pollers ?? []).map((p) => ({ queue, identity: p.identity ?? '', lastPoll: new Date(Number(p.lastAccessTime?.seconds ?? 0) * 1000) }));
      }),
    ),
  );
  const seen = new Set<string>();
  return lists.flat().filter((p) => p.lastPoll.getTime() >= since && !seen.has(p.identity) && seen.add(p.identity));
}
