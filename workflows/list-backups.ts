// listBackups: the versions of one disk (or all) on every backup host, for
// `vmbackup ls`. Each host answers from its own store; a host that does not
// answer in time is reported, not waited for.
import { ActivityFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { EngineVersion } from '../activities/engine/engine.ts';
import type { createVersionActivities } from '../activities/version-activities.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';

export interface ListBackupsInput {
  /** One disk's versions (an RBD image name); every version when omitted. */
  name?: string | undefined;
  /** The one version with this uid. */
  uid?: string | undefined;
  hosts: string[];
}

export type HostVersions = { host: string; versions: EngineVersion[]; error?: undefined } | { host: string; versions: []; error: string };

export async function listBackups(input: ListBackupsInput): Promise<HostVersions[]> {
  return Promise.all(
    input.hosts.map(async (host): Promise<HostVersions> => {
      const { listVersions } = proxyActivities<ReturnType<typeof createVersionActivities>>({
        taskQueue: hostTaskQueue(workflowInfo().taskQueue, host),
        // A host with no worker would hold `ls` forever; a minute is plenty for a metadata query.
        scheduleToCloseTimeout: '1m',
        retry: { maximumAttempts: 3 },
      });
      try {
        return { host, versions: await listVersions({ name: input.name, uid: input.uid }) };
      } catch (err) {
        const cause = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
        return { host, versions: [], error: cause };
      }
    }),
  );
}
