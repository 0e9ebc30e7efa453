// A backup host that never answers does not leave its night Running for ever:
// the night's first step waits for a worker of that host only so long (here a
// few seconds; an hour by default), then the night completes with a summary
// that says "host unreachable" and Outcome = unreachable, and plans nothing.
// backup1 has a worker (it runs the night's workflow tasks on the shared
// queue); backup2 has none.
//
// A host that never comes back (issue 10, fault 6a): its Schedule's nights,
// triggered one after the other, each end `unreachable` within the bound the
// config sets (schedules.host_answer_seconds): the first leaves nothing
// running that would make the overlap policy (skip) drop the second.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import yaml from 'js-yaml';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { Outcome } from '../../lib/search-attributes.ts';
import { schedulePrefix } from '../../lib/schedules.ts';
import { vmbackupWith } from '../support/cli.ts';
import { config, CONFIG_FILE, ROOT } from '../support/stack.ts';
import { connectClient, deleteSchedules } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const DIR = `${ROOT}.stack/test/host-unreachable-${process.pid}`;
/** This file's config with a short answer bound and a nightly Schedule for backup2 only. */
const SCHEDULED = join(DIR, 'config.yaml');
const ANSWER_SECONDS = 3;

let worker: WorkerProcess;
let client: Client;

before(async () => {
  mkdirSync(DIR, { recursive: true });
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as { hosts: Array<Record<string, unknown>>; schedules?: Record<string, unknown> };
  writeFileSync(
    SCHEDULED,
    yaml.dump({
      ...base,
      hosts: base.hosts.map((h) => ({ ...h, schedule: h.name === 'backup2' ? { time_zone: 'UTC', vms: '03:00' } : {} })),
      schedules: { ...base.schedules, host_answer_seconds: ANSWER_SECONDS },
    }),
  );
  // Same task queue and fingerprint as CONFIG_FILE: this worker serves both.
  worker = await startWorker('backup1');
  client = await connectClient();
});

after(async () => {
  await deleteSchedules(client, config);
  await worker?.stop();
  await client?.connection.close();
  rmSync(DIR, { recursive: true, force: true });
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

test("a dead host's Schedule: two nights triggered in a row both end unreachable within the bound, neither skipped", { timeout: 120_000 }, async () => {
  const cli = (...args: string[]) => vmbackupWith(SCHEDULED, ...args);
  const applied = await cli('-o', 'json', 'schedule', 'apply');
  assert.equal(applied.exitCode, 0, applied.stderr);
  const nights: string[] = [];
  for (const night of [1, 2]) {
    const started = Date.now();
    const r = await cli('-o', 'json', 'schedule', 'trigger', 'backup2/vms', '--wait');
    // A night that did nothing is no success to a script or a monitoring check.
    assert.equal(r.exitCode, 1, `night ${night}: ${r.stderr}`);
    const { workflowId, result } = JSON.parse(r.stdout) as { workflowId: string; result: NightlySummary };
    assert.match(result.unreachable ?? '', new RegExp(`^host unreachable: no worker of backup2 took the night's first step within ${ANSWER_SECONDS} s`));
    assert.ok(Date.now() - started < (ANSWER_SECONDS + 20) * 1000, `night ${night} ended within its bound, took ${Date.now() - started} ms`);
    const described = await client.workflow.getHandle(workflowId).describe();
    assert.equal(described.status.name, 'COMPLETED');
    assert.equal(described.typedSearchAttributes.get(Outcome), 'unreachable');
    nights.push(workflowId);
  }
  assert.notEqual(nights[0], nights[1], 'the second trigger started a night of its own');
  const schedule = await client.schedule.getHandle(`${schedulePrefix(config)}backup2/vms`).describe();
  const ran = schedule.info.recentActions.map((a) => a.action.workflow.workflowId);
  assert.deepEqual(nights.filter((id) => ran.includes(id)), nights, 'the Schedule lists both runs: none was skipped');
  assert.equal(schedule.info.runningActions.length, 0, 'nothing of the dead host is left running');
});
