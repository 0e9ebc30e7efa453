// Monitoring end to end on the real stack: a worker with metrics on, scraped
// during and after a real night (Schedule triggered, disk backed up by backy2
// from Ceph), and `vmbackup check` through its states: a host with no worker
// (CRITICAL), a paused Schedule (CRITICAL), a healthy host after a night (OK).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import yaml from 'js-yaml';
import { loadConfig } from '../../lib/config/load.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { type CliRun, spawnVmbackupWith, vmbackupWith } from '../support/cli.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { type HoldPoints, useHoldPoints } from '../support/hold-points.ts';
import { makePrivateStore } from '../support/private-store.ts';
import { CONFIG_FILE, ROOT, uniqueVmId } from '../support/stack.ts';
import { connectClient, deleteSchedules } from '../support/temporal.ts';

const HOST = `mon-${process.pid}`;
/** A second host of the config that never gets a worker. */
const IDLE = `monidle-${process.pid}`;
const tmp = `${ROOT}.stack/test/monitoring-${process.pid}`;
const configFile = join(tmp, 'config.yaml');
const vm = uniqueVmId('mon');
const SIZE = 16 * MiB;
let image: string | undefined;
let worker: WorkerProcess | undefined;
let client: Client;
let metricsUrl: string;
let holds: HoldPoints;

const check = (...args: string[]) => vmbackupWith(configFile, 'check', ...args);
const lines = (r: CliRun) => r.stdout.trim().split('\n');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `name{labels} value` lines of a scrape, as [labels, value] of one metric name. */
async function scrape(): Promise<string> {
  const res = await fetch(metricsUrl);
  assert.equal(res.status, 200);
  return res.text();
}

function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => {
      const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(l)!;
      const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
      return { labels, value: Number(m[2]) };
    });
}

function value(text: string, name: string, want: Record<string, string>): number | undefined {
  return samples(text, name).find((s) => Object.entries(want).every(([k, v]) => s.labels[k] === v))?.value;
}

before(async () => {
  mkdirSync(tmp, { recursive: true });
  const storeCfg = await makePrivateStore(tmp);
  const inventoryFile = join(tmp, 'inventory.yaml');
  writeFileSync(inventoryFile, yaml.dump({ vms: { [vm]: { name: 'mon-vm', project: `pm-${process.pid}`, status: 'ACTIVE' } }, volumes: {}, images: {} }));
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown> & { workloads: { vms: unknown } };
  writeFileSync(
    configFile,
    yaml.dump({
      ...base,
      hosts: [
        { name: HOST, backy2_config: storeCfg, state_dir: join(tmp, 'state'), schedule: { time_zone: 'UTC', vms: '02:00' } },
        { name: IDLE, backy2_config: storeCfg, state_dir: join(tmp, 'idle-state') },
      ],
      workloads: { vms: base.workloads.vms },
      inventory: { driver: 'local', file: inventoryFile },
      // Only this test's disk: every other disk of the shared pool has no project here.
      project_assignments: { default: 'ignore', projects: { [`pm-${process.pid}`]: HOST } },
      monitoring: { refresh_seconds: 2 },
    }),
  );
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  holds = useHoldPoints(); // before the worker starts: it inherits the hold folder
  worker = await startWorker(HOST, configFile, ['--metrics-address', `127.0.0.1:${port}`]);
  client = await connectClient();
  image = await createDisk(vm, SIZE);
});

after(async () => {
  await deleteSchedules(client, loadConfig(configFile));
  await worker?.stop();
  await client?.connection.close();
  if (image) await removeDisk(image);
  holds?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('before any night: the host without a worker is CRITICAL, the missing Schedule and the night not yet run are WARNING', async () => {
  const r = await check();
  assert.equal(r.exitCode, 2, r.stdout + r.stderr);
  assert.ok(lines(r).includes(`CRITICAL: host ${IDLE}: no worker is polling its queue ${loadConfig(configFile).temporal.task_queue}.host.${IDLE}: nothing of this host runs`), r.stdout);
  assert.ok(lines(r).some((l) => l.startsWith(`WARNING: host ${HOST}: Schedule `) && l.includes('not in Temporal')), r.stdout);
  assert.ok(lines(r).includes(`WARNING: host ${HOST}: vms: no successful night yet`), r.stdout);
  assert.equal(lines(r)[0]!.split(':')[0], 'CRITICAL', 'worst first');
  const json = JSON.parse((await check('-o', 'json')).stdout) as { status: string; exitCode: number; findings: Array<{ host: string; condition: string }> };
  assert.equal(json.status, 'CRITICAL');
  assert.deepEqual(json.findings.filter((f) => f.host === IDLE).map((f) => f.condition), ['no-worker']);
});

test('a paused nightly Schedule is CRITICAL, and the worker exports it', async () => {
  const applied = await vmbackupWith(configFile, 'schedule', 'apply');
  assert.equal(applied.exitCode, 0, applied.stderr);
  const paused = await vmbackupWith(configFile, 'schedule', 'pause', `${HOST}/vms`, '--note', 'monitoring test');
  assert.equal(paused.exitCode, 0, paused.stderr);
  const r = await check('--host', HOST);
  assert.equal(r.exitCode, 2, r.stdout);
  assert.ok(lines(r).some((l) => l.startsWith(`CRITICAL: host ${HOST}: Schedule `) && l.includes('is paused (monitoring test)')), r.stdout);
  await until(async () => value(await scrape(), 'vmbackup_schedule_paused', { host: HOST, kind: 'vms' }) === 1, 'the paused gauge');
  assert.equal((await vmbackupWith(configFile, 'schedule', 'unpause', `${HOST}/vms`)).exitCode, 0);
});

test('a real night, scraped while it runs and after: our counters and gauges and the SDK metrics; then check is OK', async () => {
  const started = Date.now();
  holds.arm('backup.before-copy', image);
  const night = spawnVmbackupWith(configFile, '-o', 'json', 'schedule', 'trigger', `${HOST}/vms`, '--wait');
  // While the disk's copy is held: the night shows as running, the SDK's metrics are there, nothing counted yet.
  await holds.held('backup.before-copy');
  await until(async () => value(await scrape(), 'vmbackup_night_running_seconds', { host: HOST, workload: 'vms' })! > 0, 'the running night');
  const during = await scrape();
  assert.ok(samples(during, 'temporal_worker_task_slots_available').length > 0, 'SDK metrics present');
  assert.equal(value(during, 'vmbackup_backups_total', { host: HOST }), undefined, 'no backup counted before the copy');
  holds.release('backup.before-copy');
  const done = await night.done;
  assert.equal(done.exitCode, 0, done.stdout + done.stderr);
  const summary = (JSON.parse(done.stdout) as { result: { counts: { full: number; failed: number } } }).result;
  assert.equal(summary.counts.full, 1, done.stdout);

  const text = await scrape();
  assert.equal(value(text, 'vmbackup_backups_total', { host: HOST, kind: 'full' }), 1);
  assert.equal(value(text, 'vmbackup_backup_read_bytes_total', { host: HOST, kind: 'full' }), SIZE, 'the whole (fully written) disk was read');
  assert.ok(value(text, 'vmbackup_backup_written_bytes_total', { host: HOST, kind: 'full' })! > 0);
  const last = value(text, 'vmbackup_backup_last_success_timestamp_seconds', { host: HOST })!;
  assert.ok(last * 1000 >= started && last * 1000 <= Date.now(), `last success ${last}`);
  assert.equal(value(text, 'vmbackup_nights_total', { host: HOST, workload: 'vms', outcome: 'ok' }), 1);
  assert.ok(value(text, 'vmbackup_night_duration_seconds', { host: HOST, workload: 'vms' })! >= 0);
  assert.ok(samples(text, 'temporal_workflow_completed_total').length > 0, 'temporal_workflow_completed_total present');
  assert.match(text, /^temporal_activity_execution_latency\S*_count\{/m, 'the SDK activity latency histogram present');
  // The exporter's next refresh sees the night in Temporal and the version in the store.
  await until(async () => {
    const t = await scrape();
    return (
      value(t, 'vmbackup_night_last_success_timestamp_seconds', { host: HOST, workload: 'vms' })! * 1000 >= started &&
      value(t, 'vmbackup_host_queue_pollers', { host: HOST })! >= 1 &&
      value(t, 'vmbackup_schedule_paused', { host: HOST, kind: 'vms' }) === 0
    );
  }, 'the Temporal facts after the night');
  await until(async () => value(await scrape(), 'vmbackup_store_versions', { host: HOST, state: 'valid' }) === 1, 'the store facts', 60_000);
  const after = await scrape();
  assert.equal(value(after, 'vmbackup_disks', { host: HOST, workload: 'vms' }), 1);
  assert.equal(value(after, 'vmbackup_disks_stale', { host: HOST, workload: 'vms' }), 0);
  assert.equal(value(after, 'vmbackup_snapshots_left_behind', { host: HOST }), 0);
  assert.equal(value(after, 'vmbackup_store_logical_bytes', { host: HOST }), SIZE);
  assert.ok(value(after, 'vmbackup_store_filesystem_avail_bytes', { host: HOST })! > 0);
  assert.equal(value(after, 'vmbackup_health_refresh_ok', { host: HOST, source: 'store' }), 1);

  const r = await check('--host', HOST);
  assert.equal(r.stdout.trim(), `OK: 1 host(s) healthy: ${HOST}`);
  assert.equal(r.exitCode, 0);
});

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${await scrape()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
