// Records the replay fixtures: for every workflow type, the history of its
// newest completed run on the local stack (run the e2e tests first, so there is
// one of each). test/unit/replay.test.ts replays them all on today's code.
//
// Usage: npm run record-histories [-- TYPE ...]   (default: every type below)
import { mkdirSync, writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { loadConfig } from '../lib/config/load.ts';
import { HISTORIES_DIR, type RecordedHistory, REPLAYED_TYPES } from '../test/support/recorded-histories.ts';
import { ROOT } from './support/private-config.ts';

/** The most telling run of a type: an incremental backup, a night that backed something up. */
const PREFER: Record<string, string> = { backupInstance: ' AND Outcome = "incremental"', nightlyBackups: ' AND Outcome = "ok"' };

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : [...REPLAYED_TYPES];
const config = loadConfig(`${ROOT}config/local.yaml`);
const connection = await Connection.connect({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });
mkdirSync(HISTORIES_DIR, { recursive: true });
let missing = 0;
try {
  for (const type of wanted) {
    let found: { workflowId: string; runId: string } | undefined;
    // Newest first (visibility lists by close time). Dry runs and plans stop early; a real run shows every step.
    for await (const wf of client.workflow.list({ query: `WorkflowType = "${type}" AND ExecutionStatus = "Completed"${PREFER[type] ?? ''}` })) {
      if (wf.workflowId.includes('plan') || wf.workflowId.includes('dry-run')) continue;
      found = { workflowId: wf.workflowId, runId: wf.runId };
      break;
    }
    if (!found) {
      console.error(`[record] ${type}: no completed run on the stack; run the e2e tests first`);
      missing += 1;
      continue;
    }
    const history = await client.workflow.getHandle(found.workflowId, found.runId).fetchHistory();
    const record: RecordedHistory = { workflowType: type, workflowId: found.workflowId, history: JSON.parse(historyToJSON(history)) as unknown };
    writeFileSync(`${HISTORIES_DIR}${type}.json`, `${JSON.stringify(record, null, 1)}\n`);
    console.log(`[record] ${type}: ${found.workflowId} (${history.events?.length ?? 0} events)`);
  }
} finally {
  await connection.close();
}
process.exit(missing ? 1 : 0);
