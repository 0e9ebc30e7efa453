// A backup host that never answers does not leave its night Running for ever:
// the night's first step waits for a worker of that host only so long (here a
// few seconds; an hour by default), then the night completes with a summary
// that says "host unreachable" and Outcome = unreachable, and plans nothing.
// backup1 has a worker (it runs the night's workflow tasks on the shared
// queue); backup2 has none.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { Outcome } from '../../lib/search-attributes.ts';
import { config } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

let worker: WorkerProcess;
let client: Client;

before(async () => {
  worker = await startWorker('backup1');
  client = await connectClient();
});

after(async () => {
  await worker?.stop();
  await client?.connection.close();
});

test("a night for a host with no worker ends 'host unreachable', completed, nothing planned", { timeout: 120_000 }, async () => {
  const handle = await client.workflow.start('nightlyBackups', {
    taskQueue: config.temporal.task_queue,
    workflowId: `nightly/backup2/unreachable-${Date.now()}`,
    args: [{ host: 'backup2', workload: 'vms', hostAnswerSeconds: 3 }],
  });
  const summary = (await handle.result()) as NightlySummary;
  assert.match(summary.unreachable ?? '', /^host unreachable: no worker of backup2 took the night's first step within 3 s/);
  assert.deepEqual(summary.counts, { planned: 0, full: 0, incremental: 0, skipped: 0, failed: 0 });
  const described = await handle.describe();
  assert.equal(described.status.name, 'COMPLETED');
  assert.equal(described.typedSearchAttributes.get(Outcome), 'unreachable');
});
