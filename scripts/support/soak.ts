// The worker-kill soak (`npm run soak`, and the bench's `soak` case): one disk,
// `runs` backups in a row with random blocks changed between them, each with the
// backup host's worker SIGKILLed at a random moment after the backup started and
// a fresh worker started in its place. Every run's version is restored with
// backy2 and compared (sha256) with the export of its snapshot; every
// `restoreEvery`-th run also rolls the (changed) disk back to that version in
// place, killed at a random moment too, and compares the disk.
//
// The moments are the point here, so they come from a seeded generator, not
// from hold points: the seed and each run's moment (ms after the start, and
// which activity was running then) are printed, and `--seed` replays them.
// The fault-worker-kill test covers each step boundary deterministically.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { execa } from 'execa';
import { loadConfig } from '../../lib/config/load.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { RestoreResult } from '../../lib/operations/restore.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { sha256File } from './file-hash.ts';
import { writePrivateConfig } from './private-config.ts';
import { seededRandom } from './prng.ts';
import { BLOCK, type Extent, MiB, RbdData } from './rbd-data.ts';
import { startWorker, type WorkerProcess } from './worker-process.ts';

export interface SoakOptions {
  runs: number;
  seed: number;
  sizeMiB: number;
  /** Every n-th run also restores in place, killed at a random moment (0: never). */
  restoreEvery: number;
  /** The random moment is drawn from [0, this); default: the duration of an unkilled run of the same operation. */
  maxDelayMs?: number | undefined;
  log: (line: string) => void;
}

export interface SoakFigures {
  soak_runs: number;
  /** Runs whose every comparison (the version, and the in-place restore when there was one) was byte-identical. */
  soak_byte_identical: number;
  /** Runs that broke another promise: a snapshot left behind, a duplicate or half-made version, a failed workflow. */
  failures: string[];
  /** Kills in all, and those that came while the operation still ran (the others came just after it ended). */
  kills: number;
  killsInside: number;
  seconds: number;
}

/** Where the kill landed: the activities running then, or that the operation had already ended. */
async function moment(handle: WorkflowHandle): Promise<{ inside: boolean; where: string }> {
  const d = await handle.describe();
  if (d.status.name !== 'RUNNING') return { inside: false, where: `after it ended (${d.status.name})` };
  const running = (d.raw.pendingActivities ?? []).map((a) => `${a.activityType?.name} attempt ${a.attempt}`);
  return { inside: true, where: running.length ? `in ${running.join(', ')}` : 'between activities' };
}

export async function soak(o: SoakOptions): Promise<SoakFigures> {
  const started = performance.now();
  const configFile = writePrivateConfig('soak');
  const config = loadConfig(configFile);
  const pool = config.workloads.vms.pool;
  const host = config.hosts[0]!;
  const size = o.sizeMiB * MiB;
  const data = new RbdData(config.ceph.conf, pool);
  const random = seededRandom(o.seed);
  const vm = `soak-${Date.now().toString(36)}`;
  const image = `${vm}_disk`;
  const queue = hostTaskQueue(config.temporal.task_queue, host.name);
  const dir = mkdtempSync(join(tmpdir(), 'vmbackup-soak-'));
  const backy2 = async (...args: string[]) => (await execa(config.engine.bin, ['-c', host.backy2_config, ...args])).stdout;
  const exportHash = async (spec: string) => {
    const file = join(dir, 'export.img');
    await data.rbd('export', '--no-progress', `${pool}/${spec}`, file);
    const hash = await sha256File(file);
    rmSync(file);
    return hash;
  };
  const versionRows = async () =>
    (await backy2('-m', 'ls', image))
      .split('\n')
      .filter((l) => l.startsWith('version|'))
      .map((l) => ({ snapshot: l.split('|')[3]!, uid: l.split('|')[6]!, valid: l.split('|')[7] === '1' }));

  log(o, `seed ${o.seed}, ${o.runs} runs on ${pool}/${image} (${o.sizeMiB} MiB), a restore in place every ${o.restoreEvery || 'no'} run(s)`);
  let worker: WorkerProcess | undefined;
  const killWorker = () => worker?.child.kill('SIGKILL');
  process.on('exit', killWorker); // never leave a worker behind, even on a crash
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const handles: WorkflowHandle[] = [];
  let n = 0;
  const start = async (type: 'backupInstance' | 'restoreInstance', args: object) => {
    const operation = type === 'backupInstance' ? 'backup' : 'restore';
    const handle = await client.workflow.start(type, {
      taskQueue: queue,
      workflowId: `soak/${vm}/${++n}-${operation}`,
      args: [{ vmId: vm, pool, host: host.name, ...args }],
      typedSearchAttributes: diskOperationAttributes({ operation, vmId: vm, host: host.name }),
    });
    handles.push(handle);
    return handle;
  };
  /** Starts the operation, SIGKILLs the worker `delay` ms later, starts a fresh one, and awaits the result. */
  const killedRun = async <T>(what: string, delay: number, begin: () => Promise<WorkflowHandle>): Promise<T> => {
    const handle = await begin();
    const t0 = performance.now();
    await sleep(delay); // the random moment itself, not a wait for a state
    const { inside, where } = await moment(handle);
    kills++;
    if (inside) killsInside++;
    await worker!.stop('SIGKILL');
    const killedAt = performance.now();
    log(o, `  ${what}: worker killed ${Math.round(killedAt - t0)} ms after the start (drawn: ${delay} ms), ${where}`);
    worker = await startWorker(host.name, configFile);
    const result = (await handle.result()) as T;
    log(o, `  ${what}: done ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
    return result;
  };

  const failures: string[] = [];
  let identical = 0;
  let kills = 0;
  let killsInside = 0;
  try {
    await data.createRandom(image, size);
    worker = await startWorker(host.name, configFile);
    // Unkilled first: a full backup (the runs are then the nightly case, incremental), an
    // incremental and a restore, whose durations bound the random moments of their kind so
    // that the kills land inside the operation, not after it.
    const unkilled = async <T>(begin: () => Promise<WorkflowHandle>) => {
      const handle = await begin();
      const t0 = performance.now();
      const result = (await handle.result()) as T;
      return { result, ms: Math.round(performance.now() - t0) };
    };
    const full = await unkilled<BackupResult>(() => start('backupInstance', {}));
    await data.writeExtents(image, size, [{ offset: 0, data: randomBytes(MiB) }]);
    const incremental = await unkilled<BackupResult>(() => start('backupInstance', {}));
    const restore = await unkilled<RestoreResult>(() => start('restoreInstance', { image, versionUid: incremental.result.versionUid!, manageServer: false }));
    await data.remove(restore.result.asideImage!);
    const made = [full.result.versionUid!, incremental.result.versionUid!];
    const bound = { backup: o.maxDelayMs ?? incremental.ms, restore: o.maxDelayMs ?? restore.ms };
    log(o, `unkilled: full backup ${full.ms} ms, incremental ${incremental.ms} ms, restore ${restore.ms} ms; kill moments drawn from [0, ${bound.backup}) ms (backup), [0, ${bound.restore}) ms (restore)`);

    for (let run = 1; run <= o.runs; run++) {
      const problems: string[] = [];
      let same = true;
      try {
        // Random 1 MiB pieces in 1 to 8 random blocks: the next backup has something to copy.
        const blocks = new Set(Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * (size / BLOCK))));
        const extents: Extent[] = [...blocks].map((b) => ({ offset: b * BLOCK, data: randomBytes(MiB) }));
        await data.writeExtents(image, size, extents);
        log(o, `run ${run}/${o.runs}: ${blocks.size} block(s) changed`);

        const result = await killedRun<BackupResult>('backup', Math.floor(random() * bound.backup), () => start('backupInstance', {}));
        made.push(result.versionUid!);
        const snapHash = await exportHash(`${image}@${result.plan.snapshot}`);
        const restored = join(dir, 'restored.img');
        await backy2('restore', result.versionUid!, `file://${restored}`);
        if ((await sha256File(restored)) !== snapHash) {
          same = false;
          problems.push(`backy2 restore of ${result.versionUid} differs from ${result.plan.snapshot}`);
        }
        rmSync(restored);
        const own = JSON.parse(await data.rbd('snap', 'ls', '--format', 'json', `${pool}/${image}`)) as Array<{ name: string }>;
        if (own.map((s) => s.name).join() !== result.plan.snapshot) problems.push(`snapshots left: ${own.map((s) => s.name).join(', ')}`);
        const rows = await versionRows();
        if (rows.some((r) => !r.valid)) problems.push(`invalid versions: ${rows.filter((r) => !r.valid).map((r) => r.uid).join(', ')}`);
        if (rows.map((r) => r.uid).sort().join() !== [...made].sort().join()) problems.push(`versions ${rows.map((r) => r.uid).join(', ')}, expected ${made.join(', ')}`);

        if (o.restoreEvery && run % o.restoreEvery === 0) {
          await data.writeExtents(image, size, [{ offset: Math.floor(random() * (size / BLOCK)) * BLOCK, data: randomBytes(MiB) }]);
          const r = await killedRun<RestoreResult>('restore', Math.floor(random() * bound.restore), () =>
            start('restoreInstance', { image, versionUid: result.versionUid!, manageServer: false }),
          );
          if ((await exportHash(image)) !== snapHash) {
            same = false;
            problems.push(`the restored disk differs from version ${result.versionUid}`);
          }
          const images = (await data.rbd('ls', pool)).split('\n').filter((i) => i.startsWith(image));
          if (images.sort().join() !== [image, r.asideImage!].sort().join()) problems.push(`images after the restore: ${images.join(', ')}`);
          await data.remove(r.asideImage!);
        }
      } catch (err) {
        // A workflow that failed (or a check that could not run) is a run that did not restore: go on, report it.
        same = false;
        problems.push((err as Error).message);
      }
      if (same) identical++;
      failures.push(...problems.map((p) => `run ${run}: ${p}`));
      log(o, `  ${same ? 'byte-identical' : 'NOT byte-identical'}${problems.length ? `; ${problems.join('; ')}` : ''}`);
    }
  } finally {
    for (const h of handles) await h.terminate('soak ended').catch(() => undefined);
    await worker?.stop();
    process.off('exit', killWorker);
    await connection.close();
    for (const uid of (await versionRows().catch(() => [])).map((r) => r.uid)) await backy2('rm', '-f', uid).catch(() => undefined);
    for (const i of (await data.rbd('ls', pool)).split('\n').filter((name) => name.startsWith(image))) await data.remove(i);
    rmSync(dir, { recursive: true, force: true });
    rmSync(configFile, { force: true });
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  log(o, `${identical}/${o.runs} runs byte-identical, ${failures.length} other problem(s); ${killsInside} of ${kills} kills came while the operation ran; ${seconds} s in all (seed ${o.seed})`);
  return { soak_runs: o.runs, soak_byte_identical: identical, failures, kills, killsInside, seconds };
}

const log = (o: SoakOptions, line: string) => o.log(`[soak] ${line}`);
