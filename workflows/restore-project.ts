// restoreProject: mass restore. Every VM of a project goes back to its newest
// valid version at or before a date, each in its own child restoreInstance on
// the host that holds the version, a few at a time. One VM's failure (its own
// restore compensates) never stops the others; the result sums them up.
import { executeChild, isCancellation, log, ParentClosePolicy, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RestoreActivities } from '../activities/restore-activities.ts';
import type { VersionActivities } from '../activities/version-activities.ts';
import { rootCause } from '../lib/errors.ts';
import { vmDiskImage } from '../lib/naming.ts';
import {
  pickVersion,
  type ProjectRestoreItem,
  type RestoreProjectInput,
  RestoreProjectInput as InputSchema,
  type RestoreProjectResult,
} from '../lib/operations/restore-project.ts';
import type { RestoreInstanceInput } from '../lib/operations/restore.ts';
import { diskOperationAttributes } from '../lib/search-attributes.ts';
import { childAudit, recordOutcome } from './audit.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { parseInput } from './parse-input.ts';
import { restoreInstance } from './restore-instance.ts';

export async function restoreProject(raw: RestoreProjectInput): Promise<RestoreProjectResult> {
  const input = parseInput(InputSchema, raw);
  const base = workflowInfo().taskQueue;
  const { listProjectServers } = proxyActivities<RestoreActivities>({
    taskQueue: hostTaskQueue(base, input.hosts[0]!),
    startToCloseTimeout: '5m',
    retry: { maximumAttempts: 5 },
  });
  const servers = await listProjectServers({ project: input.project });
  // Each host picks from its own store: one version per VM comes back, however many the stores hold.
  const names = servers.map((s) => vmDiskImage(s.id));
  const silent: string[] = [];
  const perHost = await Promise.all(
    input.hosts.map(async (host) => {
      const { pickVersions } = proxyActivities<VersionActivities>({ taskQueue: hostTaskQueue(base, host), scheduleToCloseTimeout: '5m', retry: { maximumAttempts: 3 } });
      try {
        return (await pickVersions({ names, at: input.at })).map((v) => ({ ...v, host }));
      } catch (err) {
        silent.push(`${host} (${rootCause(err).message})`);
        return [];
      }
    }),
  );
  const versions = perHost.flat();

  const planned: ProjectRestoreItem[] = servers.map((server) => {
    const chosen = pickVersion(
      versions.filter((v) => v.name === vmDiskImage(server.id)),
      input.at,
    );
    return { vmId: server.id, name: server.name, host: chosen?.host, versionUid: chosen?.uid, versionDate: chosen?.date };
  });
  const result: RestoreProjectResult = { project: input.project, dryRun: input.dryRun, planned, restored: [], failed: [] };
  for (const item of planned.filter((p) => !p.versionUid)) {
    const where = silent.length ? ` on the hosts that answered (not: ${silent.join(', ')})` : '';
    result.failed.push({ ...item, error: `${input.at ? `no valid backup at or before ${input.at}` : 'no valid backup'}${where}` });
  }
  if (input.dryRun) return result;

  // A fixed number of lanes, each taking the next VM: bounded concurrency, deterministic order.
  const queue = planned.filter((p) => p.versionUid);
  const lane = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      try {
        const args: RestoreInstanceInput = {
          vmId: item.vmId,
          pool: input.pool,
          image: vmDiskImage(item.vmId),
          host: item.host!,
          versionUid: item.versionUid!,
          manageServer: true,
          waitSeconds: input.waitSeconds,
          // A mass restore after a disaster outlasts tonight's backup of a VM: it waits for it.
          ifBusy: 'wait',
        };
        const attributes = diskOperationAttributes({ operation: 'restore', vmId: item.vmId, vmName: item.name || undefined, host: item.host!, project: input.project });
        await executeChild(restoreInstance, {
          workflowId: `restore/${item.vmId}/${workflowInfo().workflowId.split('/').at(-1)}`,
          taskQueue: hostTaskQueue(base, item.host!),
          // Cancelled or terminated, the parent asks the child to cancel, and the child puts the disk back.
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          args: [args],
          ...childAudit('restoreInstance', attributes, args),
        });
        result.restored.push(item);
      } catch (err) {
        // Cancelled: each child undoes its own restore (parent close policy), and the mass restore ends as cancelled.
        if (isCancellation(err)) throw err;
        const message = rootCause(err).message;
        log.warn(`restore of ${item.vmId} failed`, { error: message });
        result.failed.push({ ...item, error: message });
      }
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, lane));
  recordOutcome(result.failed.length === 0 ? 'ok' : result.restored.length > 0 ? 'partial' : 'failed');
  return result;
}
