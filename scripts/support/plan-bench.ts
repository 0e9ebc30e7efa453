// The plan case of `npm run bench`: does `vmbackup plan` predict a measured
// night? 30 small disks in 6 projects on backup1 (a store of its own, so its
// stats are this bench's), three real nights (a full, two incrementals), then
// `plan --host backup1` predicts the fourth from them, and the fourth runs.
// plan_error_ratio is predicted / measured night (the night's own
// durationSeconds, the figure the model is fitted from); target 0.75–1.33.
//
// Each disk changes the same number of 4 MiB blocks (1–3) before every
// incremental night, as a disk's daily churn repeats: what the model assumes.
// The fourth night is not a copy of the others: 10 new disks (32 MiB, all
// data, so their size is what a full copy reads) appear before it, so the
// prediction has to scale with the disks and add full copies.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import yaml from 'js-yaml';
import type { FleetPlan } from '../../lib/forecast/fleet-plan.ts';
import { loadConfig } from '../../lib/config/load.ts';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { inLanes, log, round } from './bench-timing.ts';
import { ROOT, writePrivateConfig } from './private-config.ts';
import { makeStoreLike } from './private-store.ts';
import { MiB, RbdData } from './rbd-data.ts';
import { startWorker, type WorkerProcess } from './worker-process.ts';

const DISKS = 30;
const PROJECTS = 6;
const CONCURRENCY = 2;
/** 32–48 MiB, 8 MiB random: not smaller (backy2's sanity check samples 5 blocks outside the hints). */
const sizeOf = (i: number) => (32 + (i % 3) * 8) * MiB;
const FILL = 8 * MiB;
const NIGHTS_BEFORE = 3;
/** Disks that appear before the predicted night: full copies in it. */
const NEW_DISKS = 10;
const NEW_SIZE = 32 * MiB;

export async function planBench(): Promise<Record<string, number>> {
  const run = `plan-${Date.now().toString(36)}`;
  const dir = join(ROOT, `.stack/bench-plan/${run}`);
  const configFile = writePrivateConfig('bench-plan');
  const base = loadConfig(configFile);
  const host = base.hosts[0]!;
  mkdirSync(join(dir, 'state'), { recursive: true });
  const store = await makeStoreLike(host.backy2_config, base.engine.bin, dir);
  const inventoryFile = join(dir, 'inventory.yaml');
  const disks = Array.from({ length: DISKS }, (_, i) => ({ id: `${run}-${String(i).padStart(2, '0')}`, size: sizeOf(i), project: `p-${run}-${i % PROJECTS}`, churn: 1 + (i % 3) }));
  const newDisks = Array.from({ length: NEW_DISKS }, (_, i) => ({ id: `${run}-new${i}`, project: `p-${run}-${i % PROJECTS}` }));
  // Listed from the start: until they exist in Ceph the nights skip them (not-on-ceph).
  writeFileSync(inventoryFile, yaml.dump({ vms: Object.fromEntries([...disks, ...newDisks].map((d) => [d.id, { name: d.id, project: d.project }])) }));
  const raw = yaml.load(readFileSync(configFile, 'utf8')) as Record<string, unknown> & { hosts: Array<Record<string, unknown>> };
  writeFileSync(
    configFile,
    yaml.dump({
      ...raw,
      hosts: raw.hosts.map((h) => (h.name === host.name ? { ...h, backy2_config: store, state_dir: join(dir, 'state'), concurrency: CONCURRENCY } : h)),
      inventory: { driver: 'local', file: inventoryFile },
      project_assignments: { default: host.name },
    }),
  );
  const data = new RbdData(base.ceph.conf, base.workloads.vms.pool);
  const cli = async (...args: string[]) => {
    const r = await execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--config', configFile, '-f', 'json', ...args], { cwd: ROOT, reject: false });
    if (r.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
    return JSON.parse(r.stdout) as unknown;
  };
  const night = async (n: number, expected = DISKS) => {
    const [summary] = (await cli('run-nightly', '--host', host.name, '--wait')) as NightlySummary[];
    const done = summary!.counts.full + summary!.counts.incremental;
    if (done !== expected) throw new Error(`night ${n}: ${done} of ${expected} disks backed up: ${JSON.stringify(summary!.counts)}`);
    log(`plan: night ${n}: ${summary!.durationSeconds} s, ${summary!.counts.full} full, ${summary!.counts.incremental} incremental, ${(summary!.bytesRead / MiB).toFixed(0)} MiB read`);
    return summary!;
  };
  const churn = () => inLanes(disks, 8, (d) => data.changeBlocks(`${d.id}_disk`, d.size, d.churn, 256 * 1024).then(() => undefined));
  let worker: WorkerProcess | undefined;
  process.on('exit', () => worker?.child.kill('SIGKILL')); // never leave a worker behind, even on failure
  try {
    log(`plan ${run}: ${DISKS} disks of 32–48 MiB in ${PROJECTS} projects on ${host.name}, concurrency ${CONCURRENCY}`);
    await inLanes(disks, 8, (d) => data.createRandom(`${d.id}_disk`, d.size, FILL));
    worker = await startWorker(host.name, configFile);
    for (let n = 1; n <= NIGHTS_BEFORE; n++) {
      if (n > 1) await churn();
      await night(n);
    }
    await churn();
    await inLanes(newDisks, 8, (d) => data.createRandom(`${d.id}_disk`, NEW_SIZE));
    const plan = (await cli('plan', '--host', host.name, '--nights', String(NIGHTS_BEFORE))) as FleetPlan;
    const predicted = plan.hosts[0]!;
    if (predicted.predictedSeconds === undefined) throw new Error(`plan predicted nothing: ${JSON.stringify(plan)}`);
    log(`plan: predicted ${predicted.predictedSeconds.toFixed(1)} s for ${predicted.planned} disks, ${predicted.full} full (fixed ${predicted.model!.fixedSecondsPerDisk.toFixed(2)} s per disk, ${((predicted.model!.readBytesPerSecond ?? 0) / MiB).toFixed(1)} MiB/s per lane)`);
    if (predicted.planned !== DISKS + NEW_DISKS || predicted.full !== NEW_DISKS) throw new Error(`plan saw ${predicted.planned} disks, ${predicted.full} full; expected ${DISKS + NEW_DISKS}, ${NEW_DISKS}`);
    const measured = await night(NIGHTS_BEFORE + 1, DISKS + NEW_DISKS);
    // Infinity (no copy long enough to time) prints as null in JSON: then the figure is left out.
    const rate = predicted.model!.readBytesPerSecond as number | null;
    return {
      plan_disks: DISKS + NEW_DISKS,
      plan_new_disks: NEW_DISKS,
      plan_nights_fitted: predicted.model!.nights,
      plan_predicted_seconds: round(predicted.predictedSeconds, 1),
      plan_measured_seconds: measured.durationSeconds!,
      plan_error_ratio: round(predicted.predictedSeconds / measured.durationSeconds!),
      plan_fixed_seconds_per_disk: round(predicted.model!.fixedSecondsPerDisk, 2),
      ...(rate ? { plan_read_mib_per_second_per_lane: round(rate / MiB, 1) } : {}),
    };
  } finally {
    await worker?.stop();
    log(`plan: removing the ${DISKS + NEW_DISKS} disks and the bench's store`);
    await inLanes([...disks, ...newDisks], 8, (d) => data.remove(`${d.id}_disk`).catch(() => undefined));
    rmSync(dir, { recursive: true, force: true });
    rmSync(configFile, { force: true });
  }
}
