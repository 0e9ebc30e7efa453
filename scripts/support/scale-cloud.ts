// A cloud of real size for the scale test (test/e2e/scale.test.ts) and the
// scale case of `npm run bench`: 10,000 servers in a fake OpenStack that pages
// as Nova does, and a private backy2 store holding 80,000 versions (8 a disk).
//
// The versions are made quickly, not by 80,000 backups: `backy2 initdb` makes a
// private metadata DB with backy2's own schema, and one SQL statement per table
// inserts rows as backy2 writes them (versions, their tags, their stats; no
// blocks: nothing here reads a version's data). Only the few disks the
// commands act on exist in Ceph; every other server has no `<id>_disk` in the
// pool (booted from a volume, as many real ones are), so the night must still
// judge all 10,000 and skips those `not-on-ceph`. Every project is assigned to
// the one host, so remove-unhandled judges all 80,000 versions as handled.
//
// Everything made here goes in `cleanup()`: the store folder, the Ceph images,
// the worker, the fake.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { backy2Setting } from '../../activities/engine/backy2-config.ts';
import { sqliteMetaPath } from '../../activities/engine/backy2-sqlite-meta.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { ImageName, workloadImage } from '../../lib/naming.ts';
import { type FakeOpenstack, fakeServer, startFakeOpenstack } from '../../test/support/fake-openstack.ts';
import { writePrivateConfig, ROOT } from './private-config.ts';
import { RbdData } from './rbd-data.ts';
import { startWorker, type WorkerProcess } from './worker-process.ts';

export const SCALE_DISKS = 10_000;
export const VERSIONS_PER_DISK = 8;
const PROJECTS = 100;

export interface ScaleCloud {
  configFile: string;
  host: string;
  /** The host's private state_dir (the night's plan files are under `nights/`). */
  stateDir: string;
  /** The private task queue: every workflow of this cloud runs on it or on its host queue. */
  taskQueue: string;
  /** A server whose disk is in Ceph and has 8 versions: what `where`, `ls` and `restore` ask about. */
  vm: { id: string; name: string; project: string };
  /** The disks that exist in Ceph (the rest are not on Ceph). */
  onCeph: string[];
  /** Versions in the private store. */
  versions: number;
  fake: FakeOpenstack;
  client: Client;
  /** `vmbackup --config <this cloud> ARGS`. */
  cli: (...args: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string; seconds: number }>;
  cleanup: () => Promise<void>;
}

const pad = (i: number, n = 5) => String(i).padStart(n, '0');

/** Starts the fake cloud, fills the private store, and starts the host's worker. */
export async function startScaleCloud(log: (text: string) => void = () => {}): Promise<ScaleCloud> {
  const run = `scale-${Date.now().toString(36)}`;
  // A host of its own name: whatever other tests run on the stack's backup1 (a purge its night would wait for) is no concern of this cloud.
  const host = run;
  const configFile = writePrivateConfig('scale');
  const base = loadConfig(configFile);
  const dir = join(ROOT, '.stack/scale', run);
  const stateDir = join(dir, 'state');
  const pool = base.workloads.vms.pool;
  const data = new RbdData(base.ceph.conf, pool);
  const ids = Array.from({ length: SCALE_DISKS }, (_, i) => `${run}-${pad(i)}`);
  const projectOf = (i: number) => `p-${run}-${pad(i % PROJECTS, 3)}`;
  const vm = { id: ids[42]!, name: `vm-${pad(42)}`, project: projectOf(42) };
  const onCeph = [ids[0]!, vm.id];
  let fake: FakeOpenstack | undefined;
  let worker: WorkerProcess | undefined;
  let connection: Connection | undefined;
  const cleanup = async () => {
    await worker?.stop();
    await connection?.close();
    await fake?.stop();
    await Promise.all(onCeph.map((id) => data.remove(`${id}_disk`).catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
    rmSync(configFile, { force: true });
  };
  try {
    log(`scale: ${SCALE_DISKS} servers in ${PROJECTS} projects, paged by 1000`);
    fake = await startFakeOpenstack({
      projects: [{ id: 'p-admin', name: 'admin' }, ...Array.from({ length: PROJECTS }, (_, p) => ({ id: projectOf(p), name: `scale-${pad(p, 3)}` }))],
      servers: ids.map((id, i) => fakeServer({ id, name: `vm-${pad(i)}`, projectId: projectOf(i) })),
      maxLimit: 1000,
    });

    const backy2Config = makeStore(base.hosts[0]!.backy2_config, dir);
    await execa(base.engine.bin, ['-c', backy2Config, 'initdb']);
    const versions = await fillStore(join(dir, 'backy.sqlite'), ids.map((id) => workloadImage('vms', id)), host);
    log(`scale: private store ${dir} holds ${versions} versions`);

    const { hosts: _hosts, source: _source, ...rest } = base;
    writeFileSync(
      configFile,
      yaml.dump({
        ...rest,
        hosts: [{ name: host, backy2_config: backy2Config, state_dir: stateDir, concurrency: 2 }],
        compute: { driver: 'openstack', openstack_env: fake.env, wait_seconds: 60 },
        inventory: { driver: 'openstack' },
        project_assignments: { default: host },
        exclude: { servers: { global: [], projects: {} }, volumes: { global: [], projects: {} } },
      }),
    );
    await Promise.all(onCeph.map((id) => data.createRandom(`${id}_disk`, 4 * 1024 * 1024, 1024 * 1024)));
    worker = await startWorker(host, configFile);
    connection = await Connection.connect({ address: base.temporal.address });
    const client = new Client({ connection, namespace: base.temporal.namespace });
    const cli = async (...args: string[]) => {
      const t0 = performance.now();
      const r = await execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--config', configFile, ...args], { cwd: ROOT, reject: false });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), seconds: (performance.now() - t0) / 1000 };
    };
    return { configFile, host, stateDir, taskQueue: base.temporal.task_queue, vm, onCeph, versions, fake, client, cli, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A backy2 config of the store in `dir`: the stack's host config with every path of its own. */
function makeStore(stackConfig: string, dir: string): string {
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'lock'), { recursive: true });
  const file = join(dir, 'backy.cfg');
  const own: Record<string, string> = {
    logfile: join(dir, 'backy.log'),
    lock_dir: join(dir, 'lock'),
    engine: `sqlite:///${join(dir, 'backy.sqlite')}`,
    path: join(dir, 'data'),
    cachedir: join(dir, 'nbd-cache'),
  };
  let text = readFileSync(stackConfig, 'utf8');
  for (const [key, value] of Object.entries(own)) text = text.replace(new RegExp(`^(${key}\\s*[:=]\\s*).*$`, 'm'), `$1${value}`);
  writeFileSync(file, text);
  // Never let a private store's writes reach the stack's: check what backy2 will read.
  if (sqliteMetaPath(file) !== join(dir, 'backy.sqlite') || backy2Setting(file, 'DataBackend', 'path') !== join(dir, 'data')) {
    throw new Error(`${file}: its metadata or data path is not in ${dir}`);
  }
  return file;
}

/**
 * Eight daily versions of every disk, as backy2 2.9 records a chain of nightly
 * backups: the oldest full, the rest differential, each with its daily tag, its
 * expiry, made an hour or two before now on each of the last eight days.
 */
async function fillStore(db: string, images: string[], host: string): Promise<number> {
  const values = images.map((image, i) => `(${i}, '${ImageName.parse(image)}')`).join(',');
  const sql = `
    PRAGMA journal_mode = WAL;
    BEGIN;
    CREATE TEMP TABLE disk (n INTEGER, name TEXT);
    INSERT INTO disk VALUES ${values};
    CREATE TEMP TABLE day (d INTEGER);
    WITH RECURSIVE k(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM k WHERE d < ${VERSIONS_PER_DISK - 1}) INSERT INTO day SELECT d FROM k;
    CREATE TEMP TABLE v AS
      SELECT printf('%08x-%04x-4000-8000-%012x', disk.n, day.d, disk.n * 16 + day.d) AS uid,
             datetime('now', printf('-%d days', day.d), printf('-%d seconds', 3600 + disk.n % 3600)) AS date,
             disk.name AS name, day.d AS d, disk.n AS n
      FROM disk, day;
    INSERT INTO versions (uid, date, name, snapshot_name, size, size_bytes, valid, protected)
      SELECT uid, date, name, replace(date, ' ', 'T') || '_${host}', 16, 67108864, 1, 0 FROM v;
    INSERT INTO tags (version_uid, name) SELECT uid, CASE WHEN d = ${VERSIONS_PER_DISK - 1} THEN 'full_backup' ELSE 'differential_backup' END FROM v;
    INSERT INTO tags (version_uid, name) SELECT uid, 'b_daily' FROM v;
    INSERT INTO tags (version_uid, name) SELECT uid, 'expires_' || date(date, '+8 days') FROM v;
    INSERT INTO stats (date, version_uid, version_name, version_size_bytes, version_size_blocks, bytes_read, blocks_read, bytes_written, blocks_written,
                       bytes_found_dedup, blocks_found_dedup, bytes_sparse, blocks_sparse, duration_seconds)
      SELECT date, uid, name, 67108864, 16, 4194304, 1, 4194304, 1, 0, 0, 0, 0, 1 FROM v;
    COMMIT;
    SELECT count(*) FROM versions;`;
  const { stdout } = await execa('sqlite3', [db], { input: sql });
  return Number(stdout.trim().split('\n').at(-1));
}

/** What one workflow's histories weigh, every run of it. */
export interface HistoryWeight {
  workflowId: string;
  type: string;
  events: number;
  bytes: number;
  /** The largest sum of payload bytes in one event. */
  maxEventPayloadBytes: number;
}

/** Every workflow this cloud ran (on its task queue or its host's), closed, with its history's weight. */
export async function historyWeights(cloud: ScaleCloud, types: readonly string[]): Promise<HistoryWeight[]> {
  const query = `TaskQueue = "${cloud.taskQueue}" OR TaskQueue = "${cloud.taskQueue}.host.${cloud.host}"`;
  let listed: WorkflowExecutionInfo[] = [];
  // Visibility indexes a workflow within a second or two of its close.
  for (let i = 0; i < 100; i++) {
    listed = [];
    for await (const wf of cloud.client.workflow.list({ query })) listed.push(wf);
    const closed = listed.filter((wf) => wf.status.name !== 'RUNNING');
    if (types.every((t) => closed.some((wf) => wf.type === t)) && closed.length === listed.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const missing = types.filter((t) => !listed.some((wf) => wf.type === t));
  if (missing.length) throw new Error(`visibility lists no ${missing.join(', ')} on ${query}`);
  return Promise.all(
    listed.map(async (wf) => {
      const handle = cloud.client.workflow.getHandle(wf.workflowId, wf.runId);
      const events = (await handle.fetchHistory()).events ?? [];
      // The server's own measure of the history, as it checks it against its limit.
      const { historySize } = await handle.describe();
      if (historySize === undefined) throw new Error(`${wf.workflowId}: the server reports no history size`);
      return {
        workflowId: wf.workflowId,
        type: wf.type,
        events: events.length,
        bytes: historySize,
        maxEventPayloadBytes: Math.max(0, ...events.map((e) => payloadBytes(e))),
      };
    }),
  );
}

/** Bytes of every payload (`{ metadata, data }`) anywhere in an event. */
function payloadBytes(node: unknown): number {
  if (node === null || typeof node !== 'object') return 0;
  if (node instanceof Uint8Array) return 0;
  const o = node as Record<string, unknown>;
  if (o.data instanceof Uint8Array && 'metadata' in o) {
    return o.data.length + Object.values((o.metadata ?? {}) as Record<string, Uint8Array>).reduce((n, v) => n + (v?.length ?? 0), 0);
  }
  return Object.values(o).reduce<number>((n, v) => n + payloadBytes(v), 0);
}
