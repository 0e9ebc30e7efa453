// `vmbackup status` and `vmbackup summary` after real backups: status lists the
// backup from Temporal visibility (running operations first), summary counts
// its versions under the project recorded with --project.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { BackupSummary } from '../../cli/summarize.ts';
import { vmbackup, vmbackupJson } from '../support/cli.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { uniqueVmId } from '../support/stack.ts';
import { startRunningOperation, type RunningOperation } from '../support/running-operation.ts';
import { connectClient, findWorkflows } from '../support/temporal.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

interface StatusRow {
  operation: string;
  workflowId: string;
  vm?: string;
  host?: string;
  project?: string;
  status: string;
  startTime: string;
  durationMs: number;
}

const HOST = 'backup1';
const SIZE = 8 * MiB;
const vm = uniqueVmId('status');
const project = uniqueVmId('p');
let worker: WorkerProcess;
let client: Client;
let image: string;
const backupIds: string[] = [];
let running: RunningOperation;

before(async () => {
  worker = await startWorker(HOST);
  client = await connectClient();
  image = await createDisk(vm, SIZE);
  for (const again of [[], ['--again']]) {
    const r = await vmbackupJson<{ workflowId: string }>('backup', vm, '--host', HOST, '--project', project, '--wait', ...again);
    backupIds.push(r.workflowId);
  }
  // A restore of the VM that is running right now.
  running = await startRunningOperation(client, { operation: 'restore', workflowType: 'restoreInstance', vmId: vm, host: HOST, project });
  await findWorkflows(client, `VmId = "${vm}"`, 3);
});

after(async () => {
  await running?.end();
  await worker?.stop();
  await client?.connection.close();
  if (image) await removeDisk(image);
});

test('status lists the backups of the VM with Operation backup, the running restore first', async () => {
  const r = await vmbackupJson<{ query: string; operations: StatusRow[] }>('status', '--vm', vm, '--since', '1h');
  assert.match(r.query, new RegExp(`VmId = "${vm}"`));
  assert.deepEqual(
    r.operations.map((o) => `${o.operation} ${o.workflowId} ${o.status}`),
    [`restore ${running.workflowId} RUNNING`, ...[...backupIds].reverse().map((id) => `backup ${id} COMPLETED`)],
  );
  for (const o of r.operations) assert.deepEqual([o.vm, o.host, o.project], [vm, HOST, project]);
  assert.ok(r.operations.every((o) => o.durationMs >= 0));

  const table = await vmbackup('status', '--vm', vm, '--operation', 'backup');
  assert.equal(table.exitCode, 0, table.stderr);
  const lines = table.stdout.split('\n');
  assert.match(lines[0]!, /^OPERATION\s+ID\s+VM\s+HOST\s+STATUS\s+STARTED\s+DURATION$/);
  assert.equal(lines.length, 3, 'the header and the two backups');
  assert.equal(lines[1]!.indexOf('backup1'), lines[0]!.indexOf('HOST'), 'columns line up');

  const bad = await vmbackup('status', '--vm', 'x" OR VmId != "');
  assert.equal(bad.exitCode, 2, 'a value that would change the query is refused');
});

test('summary counts the versions and the disk under the project given with --project', async () => {
  const s = await vmbackupJson<BackupSummary>('summary', '--project', project, '--host', HOST);
  assert.equal(s.disks, 1);
  assert.equal(s.versions, 2);
  assert.equal(s.invalidVersions, 0);
  assert.equal(s.logicalBytes, 2 * SIZE, 'logical size: the sum of the version sizes');
  assert.deepEqual(s.versionsPerDisk, { min: 2, median: 2, max: 2 });
  assert.deepEqual(s.topProjects, [{ project, disks: 1, versions: 2, logicalBytes: 2 * SIZE }]);
  assert.deepEqual(s.topDisks.map((d) => [d.name, d.project, d.hosts, d.versions]), [[image, project, [HOST], 2]]);

  const table = await vmbackup('summary', '--project', project, '--host', HOST);
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, /logical size\s+16\.0 MiB \(sum of version sizes/);
  assert.match(table.stdout, /versions per disk\s+2 \/ 2 \/ 2 \(min \/ median \/ max\)/);
});

test('listings cut to columns as `openstack -f value -c ID` does: ls, status, summary', async () => {
  // Only backup1 runs a worker here: ls warns on stderr that backup2 did not answer and exits 1; stdout is the listing all the same.
  const { versions } = JSON.parse((await vmbackup('ls', vm, '-f', 'json')).stdout) as { versions: Array<{ uid: string; date: string }> };
  assert.equal(versions.length, 2);

  const uids = await vmbackup('ls', vm, '-f', 'value', '-c', 'uid');
  assert.match(uids.stderr, /warning: host backup2 did not answer/);
  assert.equal(uids.stdout, versions.map((v) => v.uid).join('\n'), 'only the uids, newest first, one a line');

  const csv = await vmbackup('ls', vm, '-f', 'csv', '-c', 'date', '-c', 'size');
  assert.equal(csv.stdout, ['"date","size"', ...versions.map((v) => `"${v.date}",${SIZE}`)].join('\n'), 'raw ISO dates and bytes');

  const picked = JSON.parse((await vmbackup('ls', vm, '-f', 'json', '-c', 'uid', '-c', 'valid')).stdout) as unknown;
  assert.deepEqual(picked, versions.map((v) => ({ uid: v.uid, valid: true })));

  const unknown = await vmbackup('ls', vm, '-f', 'value', '-c', 'colour');
  assert.equal(unknown.exitCode, 2);
  assert.match(unknown.stderr, /-c\/--column 'colour': no such column \(valid: date, host, snapshot, size, uid, valid, protected, expires, tags\)/);

  const ids = await vmbackup('status', '--vm', vm, '--operation', 'backup', '-f', 'value', '-c', 'id');
  assert.equal(ids.stdout, [...backupIds].reverse().join('\n'));

  const hosts = await vmbackup('summary', '--project', project, '--host', HOST, '-f', 'csv');
  assert.equal(hosts.stdout, `"host","disks","versions","logical-size"\n"${HOST}",1,2,${2 * SIZE}`);
});
