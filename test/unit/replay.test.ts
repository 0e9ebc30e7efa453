// Replays a recorded history of every workflow type against today's workflow
// code. A change to workflow logic that would make a running workflow take
// another path fails here: guard it with patched()/deprecatePatch(), or, before
// a release, re-record (`npm run record-histories` after the e2e tests).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { HISTORIES_DIR, type RecordedHistory, REPLAYED_TYPES } from '../support/recorded-histories.ts';

const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

before(() => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
});

test(`a recorded history of each workflow type (${REPLAYED_TYPES.join(', ')}) replays on the current workflow code`, async () => {
  const missing = REPLAYED_TYPES.filter((t) => !existsSync(`${HISTORIES_DIR}${t}.json`));
  assert.deepEqual(missing, [], 'every workflow type has a recorded history (npm run record-histories)');
  // Every fixture: the newest of each type and the runs kept from before a patch.
  const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
  const recorded = files.map((f) => JSON.parse(readFileSync(`${HISTORIES_DIR}${f}`, 'utf8')) as RecordedHistory);
  const histories = recorded.map((r) => ({ workflowId: r.workflowId, history: historyFromJSON(r.history) }));
  const replayed: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
    replayed.push(result.workflowId);
  }
  assert.deepEqual(replayed.sort(), histories.map((h) => h.workflowId).sort());
});
