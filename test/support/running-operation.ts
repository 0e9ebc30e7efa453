// An operation that stays running for as long as a test needs it: a real
// workflow started on a queue no worker polls. Visibility shows it, with its
// search attributes, exactly as it shows a real one in the middle of its work.
import type { Client } from '@temporalio/client';
import { diskOperationAttributes, type OperationName } from '../../lib/search-attributes.ts';
import { config } from './stack.ts';
import { findWorkflows } from './temporal.ts';

export interface RunningOperation {
  workflowId: string;
  /** Ends it (terminate); safe to call twice. */
  end: () => Promise<void>;
}

export async function startRunningOperation(
  client: Client,
  op: { operation: OperationName; workflowType: string; vmId: string; host: string; project?: string },
): Promise<RunningOperation> {
  const workflowId = `${op.operation}/${op.vmId}/test-running`;
  await client.workflow.start(op.workflowType, {
    taskQueue: `${config.temporal.task_queue}.nobody`,
    workflowId,
    args: [{}],
    typedSearchAttributes: diskOperationAttributes(op),
  });
  await findWorkflows(client, `WorkflowId = "${workflowId}" AND ExecutionStatus = "Running" AND Operation = "${op.operation}"`);
  return { workflowId, end: () => client.workflow.getHandle(workflowId).terminate('test done').then(() => undefined, () => undefined) };
}
