// `npm run bench`: the backup workflow against the raw tools, in one run, on a
// 1 GiB image of random data. Each case runs 3 times (median), the page cache
// dropped before each. Then the fleet case (scripts/support/fleet-bench.ts):
// 200 small disks through nightlyBackups on both hosts, against a script. Then
// the scale case (scripts/support/scale-bench.ts): the scale test's cloud of
// 10,000 servers and 80,000 versions, the night's plan and a restore's look-up.
// Merges every figure into docs/bench/results.json (keys it does not measure stay).
//
// The whole bench takes a while; one part runs alone with
//   npm run bench -- --only disk     the single-disk cases below
//   npm run bench -- --only fleet    the fleet case (about 11 minutes; FLEET_VMS=20 for a 2-minute try)
//   npm run bench -- --only scale    the scale case (about a minute)
//   npm run bench -- --only verify   the verify case (scripts/support/verify-bench.ts, about 2 minutes)
//   npm run bench -- --only faults   every fault test, counted (faults_tried, faults_passed)
//   npm run bench -- --only plan     the plan case (scripts/support/plan-bench.ts, about 3 minutes): plan_error_ratio
//   npm run bench -- --only soak     the worker-kill soak (scripts/support/soak.ts): 20 backups of a
//                                    changing disk, every other one with an in-place restore, each with
//                                    its worker SIGKILLed at a random moment (about 13 minutes)
//
// Backup cases (full, then a 5 %-changed incremental), then restore:
//   workflow  backupInstance through Temporal and a real worker (backup1's store)
//   by hand   the runbook's commands as a plain script would run them, on a
//             second store (backup2's), so neither case dedups against the other:
//             `rbd snap create`, `rbd diff`, `backy2 backup -s -r [-f]`, `rbd snap rm`
//   raw       `rbd export-diff [--from-snap]` of the same snapshot to /dev/null
//   restore   restoreInstance (in place) vs `backy2 restore -s` by hand vs `rbd import` of the same bytes
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import { loadConfig } from '../lib/config/load.ts';
import type { BackupResult } from '../lib/operations/backup.ts';
import { diskOperationAttributes } from '../lib/search-attributes.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { log, median, round, timed } from './support/bench-timing.ts';
import { faultsBench } from './support/faults-bench.ts';
import { fleetBench } from './support/fleet-bench.ts';
import { planBench } from './support/plan-bench.ts';
import { scaleBench } from './support/scale-bench.ts';
import { newSeed } from './support/prng.ts';
import { soak } from './support/soak.ts';
import { verifyBench } from './support/verify-bench.ts';
import { writePrivateConfig, ROOT } from './support/private-config.ts';
import { updateBenchDoc } from './support/bench-doc.ts';
import { BLOCK, MiB, RbdData } from './support/rbd-data.ts';
import { startWorker } from './support/worker-process.ts';

const RUNS = 3;
const SIZE = 1024 * MiB;
const CHANGE = 0.05;

const CASES = ['disk', 'fleet', 'scale', 'verify', 'faults', 'soak', 'plan'] as const;
const { only } = parseArgs({ options: { only: { type: 'string' } } }).values;
if (only !== undefined && !(CASES as readonly string[]).includes(only)) throw new Error(`--only takes one of ${CASES.join(', ')}, got '${only}'`);

async function diskBench(): Promise<Record<string, number>> {
  const configFile = writePrivateConfig('bench');
  const config = loadConfig(configFile);
  const pool = config.workloads.vms.pool;
  const [wfHost, handHost] = config.hosts;
  const data = new RbdData(config.ceph.conf, pool);
  const rbd = (...args: string[]) => data.rbd(...args);
  const backy2 = (...args: string[]) => execa(config.engine.bin, ['-c', handHost!.backy2_config, ...args]);
  const vm = `bench-${Date.now().toString(36)}`;
  const image = `${vm}_disk`;
  const hintsDir = join(ROOT, '.stack/bench/hints');
  mkdirSync(hintsDir, { recursive: true });
  log(`creating ${image}: ${SIZE / MiB} MiB of random data`);
  await data.createRandom(image, SIZE);

  const worker = await startWorker(wfHost!.name, configFile);
  process.on('exit', () => worker.child.kill('SIGKILL')); // never leave a worker behind, even on failure
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  let n = 0;
  const viaWorkflow = async (): Promise<BackupResult> => {
    const handle = await client.workflow.start('backupInstance', {
      taskQueue: hostTaskQueue(config.temporal.task_queue, wfHost!.name),
      workflowId: `bench/${vm}/${++n}`,
      args: [{ vmId: vm, pool, host: wfHost!.name }],
      typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: vm, host: wfHost!.name, project: 'bench' }),
    });
    return (await handle.result()) as BackupResult;
  };

  // The plain script's chain: its own snapshots and versions (on backup2's store).
  let handSnap: string | undefined;
  let handUid: string | undefined;
  const byHand = async (): Promise<void> => {
    const snap = `hand-${++n}`;
    await rbd('snap', 'create', '--no-progress', `${pool}/${image}@${snap}`);
    const hints = join(hintsDir, `${snap}.json`);
    const from = handSnap ? ['--from-snap', handSnap] : ['--whole-object'];
    writeFileSync(hints, await rbd('diff', ...from, '--format', 'json', `${pool}/${image}@${snap}`));
    if (handSnap) await rbd('snap', 'rm', '--no-progress', `${pool}/${image}@${handSnap}`);
    const base = handUid ? ['-f', handUid] : [];
    const { stdout } = await backy2('backup', '-s', snap, '-r', hints, ...base, `rbd://${pool}/${image}@${snap}`, image);
    handUid = /New version: ([0-9a-f-]{36})/.exec(stdout)![1];
    handSnap = snap;
    rmSync(hints);
  };
  const raw = (snap: string, from?: string) =>
    execa('rbd', ['--conf', config.ceph.conf, 'export-diff', '--no-progress', ...(from ? ['--from-snap', from] : []), `${pool}/${image}@${snap}`, '-'], {
      stdout: 'ignore',
    });
  /** Removes every snapshot so the next backup of each chain is full again. */
  const resetChains = async () => {
    await rbd('snap', 'purge', '--no-progress', `${pool}/${image}`);
    handSnap = undefined;
    handUid = undefined;
  };

  const t = { wfFull: [] as number[], handFull: [] as number[], rawFull: [] as number[], wfInc: [] as number[], handInc: [] as number[], rawInc: [] as number[] };
  const read = { wfFull: [] as number[], wfInc: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    await resetChains();
    let result!: BackupResult;
    // Alternate which goes first, so neither always meets the other's leftovers.
    if (i % 2 === 1) t.handFull.push(await timed(byHand));
    t.wfFull.push(await timed(async () => (result = await viaWorkflow())));
    if (result.plan.kind !== 'full') throw new Error(`run ${i}: expected a full backup, got ${result.plan.kind}`);
    read.wfFull.push(result.bytesRead ?? 0);
    if (i % 2 === 0) t.handFull.push(await timed(byHand));
    t.rawFull.push(await timed(() => raw(result.plan.snapshot)));
    log(`full #${i + 1}: workflow ${t.wfFull.at(-1)!.toFixed(2)} s, by hand ${t.handFull.at(-1)!.toFixed(2)} s, export-diff ${t.rawFull.at(-1)!.toFixed(2)} s`);
  }
  const changedBlocks = Math.round((SIZE / BLOCK) * CHANGE);
  for (let i = 0; i < RUNS; i++) {
    await data.changeBlocks(image, SIZE, changedBlocks, BLOCK);
    let result!: BackupResult;
    t.wfInc.push(await timed(async () => (result = await viaWorkflow())));
    if (result.plan.kind !== 'incremental') throw new Error(`run ${i}: expected an incremental backup, got ${result.plan.kind}`);
    read.wfInc.push(result.bytesRead ?? 0);
    // The workflow dropped its own base snapshot; the script's previous one holds the same data.
    t.rawInc.push(await timed(() => raw(result.plan.snapshot, handSnap)));
    t.handInc.push(await timed(byHand));
    log(`incremental #${i + 1}: workflow ${t.wfInc.at(-1)!.toFixed(2)} s, by hand ${t.handInc.at(-1)!.toFixed(2)} s, export-diff ${t.rawInc.at(-1)!.toFixed(2)} s`);
  }

  // Restore: the workflow's newest version back into the pool (in place, the
  // current image moved aside), backy2 by hand into a new image, and `rbd import`
  // of the same bytes from a file.
  const lastWf = (await client.workflow.getHandle(`bench/${vm}/${n - 1}`).result()) as BackupResult;
  const bytesFile = join(ROOT, '.stack/bench/restore-source.img');
  await rbd('export', '--no-progress', `${pool}/${image}@${lastWf.plan.snapshot}`, bytesFile);
  const restoreT = { wf: [] as number[], hand: [] as number[], raw: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const handle = await client.workflow.start('restoreInstance', {
      taskQueue: hostTaskQueue(config.temporal.task_queue, wfHost!.name),
      workflowId: `bench-restore/${vm}/${i}`,
      args: [{ vmId: vm, pool, image, host: wfHost!.name, versionUid: lastWf.versionUid!, manageServer: false }],
      typedSearchAttributes: diskOperationAttributes({ operation: 'restore', vmId: vm, host: wfHost!.name, project: 'bench' }),
    });
    let aside = '';
    restoreT.wf.push(await timed(async () => (aside = ((await handle.result()) as { asideImage: string }).asideImage)));
    await data.remove(aside);
    const handTarget = `${image}-hand${i}`;
    restoreT.hand.push(await timed(() => backy2('restore', '-s', handUid!, `rbd://${pool}/${handTarget}`)));
    await data.remove(handTarget);
    const rawTarget = `${image}-raw${i}`;
    restoreT.raw.push(await timed(() => rbd('import', '--no-progress', bytesFile, `${pool}/${rawTarget}`)));
    await data.remove(rawTarget);
    log(`restore #${i + 1}: workflow ${restoreT.wf.at(-1)!.toFixed(2)} s, backy2 by hand ${restoreT.hand.at(-1)!.toFixed(2)} s, rbd import ${restoreT.raw.at(-1)!.toFixed(2)} s`);
  }
  rmSync(bytesFile);

  await worker.stop();
  await connection.close();
  await data.remove(image);

  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])) as Record<keyof typeof t, number>;
  return {
    image_mib: SIZE / MiB,
    incremental_changed_mib: (changedBlocks * BLOCK) / MiB,
    runs_per_case: RUNS,
    full_backup_ratio: round(m.wfFull / m.rawFull),
    incremental_backup_ratio: round(m.wfInc / m.rawInc),
    backy2_full_ratio: round(m.handFull / m.rawFull),
    backy2_incremental_ratio: round(m.handInc / m.rawInc),
    workflow_overhead_ratio: round(m.wfFull / m.handFull),
    workflow_incremental_overhead_ratio: round(m.wfInc / m.handInc),
    workflow_full_seconds: round(m.wfFull),
    backy2_full_seconds: round(m.handFull),
    export_diff_full_seconds: round(m.rawFull),
    workflow_incremental_seconds: round(m.wfInc),
    backy2_incremental_seconds: round(m.handInc),
    export_diff_incremental_seconds: round(m.rawInc),
    restore_ratio: round(median(restoreT.wf) / median(restoreT.raw)),
    backy2_restore_ratio: round(median(restoreT.hand) / median(restoreT.raw)),
    restore_overhead_ratio: round(median(restoreT.wf) / median(restoreT.hand)),
    restore_workflow_seconds: round(median(restoreT.wf)),
    restore_backy2_seconds: round(median(restoreT.hand)),
    restore_rbd_import_seconds: round(median(restoreT.raw)),
    workflow_full_bytes_read_mib: round(median(read.wfFull) / MiB, 1),
    workflow_incremental_bytes_read_mib: round(median(read.wfInc) / MiB, 1),
  };
}

/** The soak's two figures; a run that was not byte-identical shows in them (the bench goes on). */
async function soakBench(): Promise<Record<string, number>> {
  const figures = await soak({ runs: 20, seed: newSeed(), sizeMiB: 256, restoreEvery: 2, log });
  for (const failure of figures.failures) log(`soak: ${failure}`);
  return { soak_runs: figures.soak_runs, soak_byte_identical: figures.soak_byte_identical };
}

async function main(): Promise<void> {
  const figures = {
    ...(only === undefined || only === 'disk' ? await diskBench() : {}),
    ...(only === undefined || only === 'fleet' ? await fleetBench() : {}),
    ...(only === undefined || only === 'scale' ? await scaleBench() : {}),
    ...(only === undefined || only === 'verify' ? await verifyBench() : {}),
    ...(only === undefined || only === 'faults' ? await faultsBench() : {}),
    ...(only === undefined || only === 'soak' ? await soakBench() : {}),
    ...(only === undefined || only === 'plan' ? await planBench() : {}),
  };
  const file = join(ROOT, 'docs/bench/results.json');
  mkdirSync(join(ROOT, 'docs/bench'), { recursive: true });
  let previous: Record<string, number> = {};
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    // first run
  }
  writeFileSync(file, `${JSON.stringify({ ...previous, ...figures }, null, 2)}\n`);
  console.log(JSON.stringify(figures, null, 2));
  log(`written to ${file}`);
  log(updateBenchDoc(ROOT));
}

await main();
