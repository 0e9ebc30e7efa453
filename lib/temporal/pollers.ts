// Which backup hosts have a worker polling right now: a host queue with no
// poller would hold an activity until its timeout, so callers skip and report it.
import type { Client } from '@temporalio/client';
import { hostTaskQueue } from '../task-queues.ts';

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
