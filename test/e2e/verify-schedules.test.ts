// `vmbackup schedule apply` makes the verify and drill Schedules of
// hosts[].schedule.verify / .drill: daily and weekly on a weekday, with the
// workflow, id and inputs the config asks for; applying again changes nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import yaml from 'js-yaml';
import { loadConfig } from '../../lib/config/load.ts';
import { schedulePrefix } from '../../lib/schedules.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { CONFIG_FILE } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-verify-schedules-'));
const configFile = join(tmp, 'config.yaml');
let worker: WorkerProcess;
let client: Client;

const cli = async <T>(...args: string[]): Promise<T> => {
  const r = await vmbackupWith(configFile, '-o', 'json', ...args);
  if (r.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

before(async () => {
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as { hosts: Array<Record<string, unknown>> };
  writeFileSync(
    configFile,
    yaml.dump({
      ...base,
      hosts: [{ ...base.hosts[0], schedule: { time_zone: 'Europe/Berlin', verify: '01:30', drill: 'Sun 06:00' } }],
      project_assignments: { default: 'backup1' },
      verify: { scrub_every_nights: 5, deep_sample: 1 },
      drill: { sample: 3 },
    }),
  );
  worker = await startWorker('backup1', configFile);
  client = await connectClient();
});

after(async () => {
  const prefix = schedulePrefix(loadConfig(configFile));
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(prefix)) await client.schedule.getHandle(s.scheduleId).delete();
  await worker?.stop();
  await client?.connection.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('schedule apply creates the verify (daily) and drill (weekly) Schedules, and a second apply changes nothing', async () => {
  const applied = await cli<{ changes: Array<{ scheduleId: string; change: string; when: string }> }>('schedule', 'apply');
  assert.deepEqual(
    applied.changes.map((c) => [c.scheduleId.split('/').slice(1).join('/'), c.change, c.when]).sort(),
    [
      ['backup1/drill', 'create', 'Sun 06:00 Europe/Berlin'],
      ['backup1/verify', 'create', 'daily 01:30 Europe/Berlin'],
    ],
  );
  const listed = await cli<Array<{ scheduleId: string; when: string; nextRun: string }>>('schedule', 'list');
  assert.deepEqual(listed.map((s) => [s.scheduleId.split('/').slice(1).join('/'), s.when]).sort(), [
    ['backup1/drill', 'Sun 06:00 Europe/Berlin'],
    ['backup1/verify', 'daily 01:30 Europe/Berlin'],
  ]);
  const drillNext = new Date(listed.find((s) => s.scheduleId.endsWith('/drill'))!.nextRun);
  assert.equal(new Intl.DateTimeFormat('en', { weekday: 'short', timeZone: 'Europe/Berlin' }).format(drillNext), 'Sun', 'the drill runs on Sundays');

  const prefix = schedulePrefix(loadConfig(configFile));
  const verify = await client.schedule.getHandle(`${prefix}backup1/verify`).describe();
  assert.equal(verify.action.type, 'startWorkflow');
  assert.equal(verify.action.workflowType, 'verifyBackups');
  assert.deepEqual(verify.action.args, [{ host: 'backup1', scrubEveryNights: 5, deepSample: 1 }]);
  const drill = await client.schedule.getHandle(`${prefix}backup1/drill`).describe();
  assert.equal(drill.action.workflowType, 'restoreDrill');
  assert.deepEqual(drill.action.args, [{ host: 'backup1', sample: 3, scratchPool: loadConfig(configFile).workloads.vms.pool }]);

  const again = await cli<{ changes: Array<{ change: string }> }>('schedule', 'apply');
  assert.deepEqual(again.changes.map((c) => c.change), ['unchanged', 'unchanged']);
});
