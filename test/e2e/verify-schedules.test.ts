// `vmbackup schedule apply` makes the verify and drill Schedules of
// hosts[].schedule.verify / .drill: daily and weekly on a weekday, with the
// workflow, id and inputs the config asks for; applying again changes nothing.
// Triggered, each Schedule runs its workflow on the host's worker: the scrub and
// the deep check find the host's one version sound, the drill restores it to a
// scratch image, finds it sound and removes the scratch image. A test-only host
// with a store of its own, so the checks read only this file's version.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import yaml from 'js-yaml';
import { loadConfig } from '../../lib/config/load.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { DrillSummary, VerifySummary } from '../../lib/operations/verify.ts';
import { schedulePrefix } from '../../lib/schedules.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { createDisk, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { makePrivateStore } from '../support/private-store.ts';
import { CONFIG_FILE, POOL, rbd, ROOT, uniqueVmId } from '../support/stack.ts';
import { connectClient, deleteSchedules } from '../support/temporal.ts';

const HOST = `vsched-${process.pid}`;
const tmp = `${ROOT}.stack/test/verify-schedules-${process.pid}`;
const configFile = join(tmp, 'config.yaml');
const vm = uniqueVmId('vsched');
let image: string | undefined;
let worker: WorkerProcess;
let client: Client;

const cli = async <T>(...args: string[]): Promise<T> => {
  const r = await vmbackupWith(configFile, '-o', 'json', ...args);
  if (r.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

before(async () => {
  mkdirSync(tmp, { recursive: true });
  const storeCfg = await makePrivateStore(tmp);
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    configFile,
    yaml.dump({
      ...base,
      hosts: [{ name: HOST, backy2_config: storeCfg, state_dir: join(tmp, 'state'), schedule: { time_zone: 'Europe/Berlin', verify: '01:30', drill: 'Sun 06:00' } }],
      project_assignments: { default: HOST },
      verify: { scrub_every_nights: 5, deep_sample: 1 },
      drill: { sample: 3 },
    }),
  );
  worker = await startWorker(HOST, configFile);
  client = await connectClient();
  image = await createDisk(vm, 8 * MiB);
});

after(async () => {
  await deleteSchedules(client, loadConfig(configFile));
  await worker?.stop();
  await client?.connection.close();
  if (image) await removeDisk(image);
  rmSync(tmp, { recursive: true, force: true });
});

test('schedule apply creates the verify (daily) and drill (weekly) Schedules, and a second apply changes nothing', async () => {
  const applied = await cli<{ changes: Array<{ scheduleId: string; change: string; when: string }> }>('schedule', 'apply');
  assert.deepEqual(
    applied.changes.map((c) => [c.scheduleId.split('/').slice(1).join('/'), c.change, c.when]).sort(),
    [
      [`${HOST}/drill`, 'create', 'Sun 06:00 Europe/Berlin'],
      [`${HOST}/verify`, 'create', 'daily 01:30 Europe/Berlin'],
    ],
  );
  const listed = await cli<Array<{ scheduleId: string; when: string; nextRun: string }>>('schedule', 'list');
  assert.deepEqual(listed.map((s) => [s.scheduleId.split('/').slice(1).join('/'), s.when]).sort(), [
    [`${HOST}/drill`, 'Sun 06:00 Europe/Berlin'],
    [`${HOST}/verify`, 'daily 01:30 Europe/Berlin'],
  ]);
  const drillNext = new Date(listed.find((s) => s.scheduleId.endsWith('/drill'))!.nextRun);
  assert.equal(new Intl.DateTimeFormat('en', { weekday: 'short', timeZone: 'Europe/Berlin' }).format(drillNext), 'Sun', 'the drill runs on Sundays');

  const prefix = schedulePrefix(loadConfig(configFile));
  const verify = await client.schedule.getHandle(`${prefix}${HOST}/verify`).describe();
  assert.equal(verify.action.type, 'startWorkflow');
  assert.equal(verify.action.workflowType, 'verifyBackups');
  assert.deepEqual(verify.action.args, [{ host: HOST, scrubEveryNights: 5, deepSample: 1 }]);
  const drill = await client.schedule.getHandle(`${prefix}${HOST}/drill`).describe();
  assert.equal(drill.action.workflowType, 'restoreDrill');
  assert.deepEqual(drill.action.args, [{ host: HOST, sample: 3, scratchPool: loadConfig(configFile).workloads.vms.pool }]);

  const again = await cli<{ changes: Array<{ change: string }> }>('schedule', 'apply');
  assert.deepEqual(again.changes.map((c) => c.change), ['unchanged', 'unchanged']);
});

test('triggered, the Schedules run the scrub with its deep check and the drill on the host: one version, sound; no scratch image left', async () => {
  const backup = await cli<BackupResult>('backup', vm, '--host', HOST, '--wait');
  assert.ok(backup.versionUid, 'a version to check');

  const verify = await cli<{ workflowId: string; result: VerifySummary }>('schedule', 'trigger', `${HOST}/verify`, '--wait');
  assert.match(verify.workflowId, /verify/);
  assert.equal(verify.result.host, HOST);
  assert.deepEqual([verify.result.versions, verify.result.scrub.checked, verify.result.scrub.ok, verify.result.scrub.failed], [1, 1, 1, 0], 'the one version scrubbed, sound');
  assert.deepEqual([verify.result.deep.checked, verify.result.deep.ok, verify.result.deep.failed], [1, 1, 0], 'and compared with its snapshot, sound');

  const drill = await cli<{ workflowId: string; result: DrillSummary }>('schedule', 'trigger', `${HOST}/drill`, '--wait');
  assert.deepEqual([drill.result.counts.checked, drill.result.counts.ok, drill.result.counts.failed], [1, 1, 0], 'the one version restored to a scratch image, sound');
  assert.deepEqual(drill.result.drilled.map((d) => d.uid), [backup.versionUid]);
  const left = (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(`vmbackup-drill-${HOST}`));
  assert.deepEqual(left, [], 'no scratch image left');
  assert.equal((await snapshotNames(image!)).length, 1, "the disk keeps exactly its backup's snapshot");
});
