// The worker's log as a service writes it: a real worker (JSON lines, its
// default) runs a real backup on the local stack, and every line it wrote is
// one JSON object; the activity lines name the workflow, the activity and the
// disk. The worker's stdout and stderr are what systemd hands to journald.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { vmbackupJson } from '../support/cli.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { backy2, POOL, uniqueVmId } from '../support/stack.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const HOST = 'backup1';

let worker: WorkerProcess | undefined;
const images: string[] = [];
const versions: string[] = [];

before(async () => {
  // INFO: the level a service runs at, where activities log the commands they run.
  worker = await startWorker(HOST, ['--log-level', 'INFO']);
});

after(async () => {
  await worker?.stop();
  for (const uid of versions) await backy2(HOST, 'rm', '-f', uid).catch(() => undefined);
  for (const image of images) await removeDisk(image);
});

type Line = Record<string, unknown>;

test('a backup through a JSON-logging worker: every line is JSON; activity lines name workflowId, activity and disk', async () => {
  const vm = uniqueVmId('logs');
  const image = await createDisk(vm, 16 * MiB);
  images.push(image);
  const run = await vmbackupJson<BackupResult & { workflowId: string }>('backup', vm, '--wait');
  if (run.versionUid) versions.push(run.versionUid);
  await worker!.stop(); // its last lines written, and the drain on SIGTERM logged

  const raw = worker!.output().split('\n').filter((l) => l.trim() !== '');
  const lines: Line[] = raw.map((l, i) => {
    try {
      return JSON.parse(l) as Line;
    } catch {
      assert.fail(`line ${i + 1} of the worker's output is not JSON: ${l}`);
    }
  });
  for (const line of lines) {
    assert.equal(typeof line.time, 'string', JSON.stringify(line));
    assert.ok(!Number.isNaN(Date.parse(line.time as string)), `time ${String(line.time)}`);
    assert.match(String(line.level), /^(TRACE|DEBUG|INFO|WARN|ERROR)$/);
    assert.equal(typeof line.message, 'string');
  }
  assert.ok(lines.some((l) => /polling/.test(String(l.message)) && l.host === HOST), 'the start line is a JSON line too');
  assert.ok(lines.some((l) => /stopped/.test(String(l.message))), 'so is the stop line');

  const ofThisBackup = lines.filter((l) => l.workflowId === run.workflowId && typeof l.activityType === 'string');
  assert.ok(ofThisBackup.length > 0, `no activity line names workflow ${run.workflowId}:\n${raw.join('\n')}`);
  const disk = `${POOL}/${image}`;
  for (const line of ofThisBackup) {
    assert.equal(line.disk, disk, `an activity line without its disk: ${JSON.stringify(line)}`);
    assert.equal(line.taskToken, undefined, 'the task token stays out of the log');
    assert.equal(line.workflowType, 'backupInstance');
  }
  // The commands the activities ran are in the log, each with the disk it was run for.
  const activities = new Set(ofThisBackup.map((l) => l.activityType));
  assert.ok(activities.has('prepareBackup') && activities.has('finishBackup'), `activities logged: ${[...activities].join(', ')}`);
  assert.ok(ofThisBackup.some((l) => l.activityType === 'prepareBackup' && /\brbd\b.*snap create/.test(String(l.message))), 'the rbd snapshot command is logged with its disk');
  assert.ok(ofThisBackup.some((l) => l.activityType === 'finishBackup' && /backy2 .*\bbackup\b/.test(String(l.message))), 'the backy2 command line is logged with its disk');
});
