// The prebuilt workflow bundle the worker image and systemd installs load:
// scripts/bundle-workflows.ts writes one, a worker's replayer loads it by path
// and replays every recorded history on it, and a bundle whose sources changed
// since (or that is missing) is refused with what to do.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { ROOT } from '../../scripts/support/private-config.ts';
import { sourceDigest, workflowBundleOption, WorkflowBundleError } from '../../workers/workflow-bundle.ts';
import { HISTORIES_DIR, type RecordedHistory } from '../support/recorded-histories.ts';

const dir = mkdtempSync(join(tmpdir(), 'vmbackup-bundle-'));
const bundle = join(dir, 'dist/workflow-bundle.js');

before(() => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('scripts/bundle-workflows.ts writes a bundle the worker loads by path, and every recorded history replays on it', async () => {
  const run = await execa(process.execPath, ['--import', 'tsx', 'scripts/bundle-workflows.ts', '--out', bundle], { cwd: ROOT, reject: false });
  assert.equal(run.exitCode, 0, run.stderr);
  assert.ok(existsSync(bundle) && existsSync(`${bundle}.sources.json`));
  assert.equal(JSON.parse(readFileSync(`${bundle}.sources.json`, 'utf8')).sourceDigest, sourceDigest());

  const option = await workflowBundleOption(bundle);
  assert.deepEqual(option, { codePath: bundle }, 'a fresh bundle is loaded by path, not rebuilt');
  const histories = readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8')) as RecordedHistory)
    .map((r) => ({ workflowId: r.workflowId, history: historyFromJSON(r.history) }));
  assert.ok(histories.length > 0);
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: option }, histories)) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
    replayed++;
  }
  assert.equal(replayed, histories.length);
});

test('a bundle built from other sources, one without its sidecar, or none at all is refused with the command to rebuild', async () => {
  const stale = join(dir, 'stale.js');
  copyFileSync(bundle, stale);
  const sidecar = JSON.parse(readFileSync(`${bundle}.sources.json`, 'utf8'));
  writeFileSync(`${stale}.sources.json`, JSON.stringify({ ...sidecar, sourceDigest: '0'.repeat(64) }));
  await assert.rejects(workflowBundleOption(stale), (err: unknown) => {
    assert.ok(err instanceof WorkflowBundleError);
    assert.match(err.message, /built from other sources/);
    assert.match(err.hint ?? '', /bundle-workflows\.ts --out .*stale\.js/);
    return true;
  });
  rmSync(`${stale}.sources.json`);
  await assert.rejects(workflowBundleOption(stale), /sidecar .* is missing or unreadable/);
  await assert.rejects(workflowBundleOption(join(dir, 'none.js')), (err: unknown) => err instanceof WorkflowBundleError && /does not exist/.test(err.message));
});
