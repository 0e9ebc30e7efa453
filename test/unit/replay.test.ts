// Replays recorded histories of real runs against today's workflow code. A
// change to workflow logic that would make a running workflow take another
// path fails here: guard it with patched()/deprecatePatch() and record a new
// history (`temporal workflow show -w ID -o json > test/fixtures/histories/NAME.json`).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

const dir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/** Workflows whose history depends on their own id (child ids derive from it) replay under the id they ran with. */
const RECORDED_IDS: Record<string, string> = { 'nightly-backups.json': 'nightly/backup1/vms-2026-11-25T23:33:14' };

before(() => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
});

test('recorded histories (backupInstance full, incremental, with the record-server-metadata patch and with the fold-backup-steps patch; a nightlyBackups night) replay on the current workflow code', async () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 2, 'fixtures are present');
  const histories = files.map((file) => ({ workflowId: RECORDED_IDS[file] ?? file, history: historyFromJSON(JSON.parse(readFileSync(`${dir}${file}`, 'utf8'))) }));
  const replayed: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
    replayed.push(result.workflowId);
  }
  assert.deepEqual(replayed.sort(), histories.map((h) => h.workflowId).sort());
});
