// rescueInstance: a VM deleted from OpenStack comes back. A server with the
// same name, project, flavor, image and network (as recorded when the backup
// was made) is created, then its disk is replaced by the backup (a child
// restoreInstance). What cannot be brought back is listed in the result.
import { ApplicationFailure, executeChild, ParentClosePolicy, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RestoreActivities } from '../activities/restore-activities.ts';
import { vmDiskImage } from '../lib/naming.ts';
import { RESCUE_MARK, type RescueInstanceInput, RescueInstanceInput as InputSchema, type RescueResult } from '../lib/operations/rescue.ts';
import type { RestoreInstanceInput } from '../lib/operations/restore.ts';
import { diskOperationAttributes } from '../lib/search-attributes.ts';
import { childAudit, recordOutcome } from './audit.ts';
import { parseInput } from './parse-input.ts';
import { restoreInstance } from './restore-instance.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';

export async function rescueInstance(raw: RescueInstanceInput): Promise<RescueResult> {
  const input = parseInput(InputSchema, raw);
  const act = proxyActivities<RestoreActivities>({
    startToCloseTimeout: '10m',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
  });
  await act.checkServerGone({ vmId: input.vmId });
  const recorded = await act.readServerMetadata({ pool: input.pool, image: vmDiskImage(input.vmId), snapshot: input.snapshotName });
  if (!recorded?.flavor || !recorded.image) {
    throw ApplicationFailure.nonRetryable(
      `no server metadata (flavor, image) was recorded with version ${input.versionUid}: it was made with compute.driver none or before metadata was recorded; restore the disk by hand into a new VM`,
      'RescueError',
    );
  }
  const network = input.network ?? Object.keys(recorded.networks)[0];
  if (!network) throw ApplicationFailure.nonRetryable(`no network was recorded with version ${input.versionUid}: pass --network`, 'RescueError');

  const { flavor, image } = recorded;
  const mark = workflowInfo().workflowId;
  const plan = [
    `create server ${recorded.name} in project ${recorded.projectId} (flavor ${flavor}, image ${image}, network ${network}), marked ${RESCUE_MARK}=<this rescue's workflow id>; ` +
      'if a server of that name exists that this rescue did not make, stop there and leave it untouched',
    `restore version ${input.versionUid} into the new server's disk: stop it, move its disk aside, restore, start it`,
  ];
  const addresses = Object.entries(recorded.networks).map(([net, ips]) => `${net}: ${ips.join(', ')}`);
  const result = (newVmId: string | undefined): RescueResult => ({
    oldVmId: input.vmId,
    newVmId,
    dryRun: input.dryRun,
    plan,
    name: recorded.name,
    projectId: recorded.projectId,
    flavor,
    image,
    network,
    versionUid: input.versionUid,
    notRestored: [
      ...(addresses.length ? [`IP addresses (new ones were given; they were ${addresses.join('; ')})`] : []),
      ...(recorded.securityGroups.length ? [`security groups: ${recorded.securityGroups.join(', ')}`] : []),
      ...(recorded.volumes.length ? [`attached volumes: ${recorded.volumes.join(', ')}`] : []),
      ...(Object.keys(recorded.networks).length > 1 ? [`networks other than ${network}`] : []),
    ],
  });
  if (input.dryRun) return result(undefined);

  const { id: newVmId } = await act.createRescueServer({
    name: recorded.name,
    projectId: recorded.projectId,
    flavor,
    image,
    network,
    oldId: input.vmId,
    mark,
  });
  const args: RestoreInstanceInput = {
    vmId: newVmId,
    pool: input.pool,
    image: vmDiskImage(newVmId),
    versionOf: vmDiskImage(input.vmId),
    host: input.host,
    versionUid: input.versionUid,
    manageServer: true,
    waitSeconds: input.waitSeconds,
  };
  const attributes = diskOperationAttributes({ operation: 'restore', vmId: newVmId, vmName: recorded.name, host: input.host, project: recorded.projectId });
  await executeChild(restoreInstance, {
    workflowId: `${workflowInfo().workflowId}/restore`,
    taskQueue: workflowInfo().taskQueue,
    // Cancelled or terminated, the parent asks the child to cancel, and the child puts the disk back.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    args: [args],
    ...childAudit('restoreInstance', attributes, args),
  });
  recordOutcome('rescued');
  return result(newVmId);
}
