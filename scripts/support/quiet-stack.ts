// Before a test run on the embedded local stack: removes what earlier runs left
// on its Temporal dev server. The demo applies config/local.yaml's Schedules and
// its workers stop with it; on a stack left up, those Schedules later start
// nights and purges that no worker runs, and a test's purge or night then waits
// on them (store idle, disk locks) until its timeout. A killed test run leaves
// running workflows behind the same way. Only the local dev server's
// namespace is touched: the tests own it.
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../lib/config/load.ts';

const config = loadConfig(new URL('../../config/local.yaml', import.meta.url).pathname);
const connection = await Connection.connect({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });

let schedules = 0;
for await (const s of client.schedule.list()) {
  await client.schedule.getHandle(s.scheduleId).delete();
  schedules++;
}
let workflows = 0;
for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
  // Children end with their parents (parent close policy); terminating one first is harmless.
  await client.workflow
    .getHandle(wf.workflowId, wf.runId)
    .terminate('left by an earlier run on the local stack; a test run starts from a quiet server')
    .catch(() => undefined);
  workflows++;
}
console.log(`[test] local Temporal quiet: removed ${schedules} Schedule(s), terminated ${workflows} running workflow(s) left by earlier runs`);
await connection.close();
