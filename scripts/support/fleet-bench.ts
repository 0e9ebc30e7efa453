// The fleet case of `npm run bench`: 200 small disks through `nightlyBackups`
// on both backup hosts at once, against the same rbd and backy2 commands run by
// a plain script at the same concurrency.
//
// The disks have a name and a project in a `local` inventory file written here;
// half the projects go to backup1, half to backup2. An untimed full pass first,
// so the measured pass is incremental; childrenPerRun is small enough that each
// night continues as new within the measured pass.
//
// Fairness: the script runs after the workflow's measured pass, on the same
// disks and stores, as the workflow's own next night would: a few fresh random
// blocks changed on every disk (so nothing dedups against the workflow's pass),
// a diff from the workflow's snapshot, `-f` its version. Each host runs
// host.concurrency disks at a time with its backy2 writes one after another,
// as the worker does (backy2 2.9's SQLite store takes its write lock for a
// whole backup). The page cache is dropped before each pass.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { SerialQueue } from '../../activities/engine/serial.ts';
import { expiryTag, KIND_TAGS } from '../../lib/backup-tags.ts';
import { projectTag } from '../../lib/naming.ts';
import { loadConfig } from '../../lib/config/load.ts';
import type { HostConfig } from '../../lib/config/schema.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { NightlyInput, NightlySummary } from '../../lib/operations/nightly.ts';
import { nightlyAttributes, nightlyWorkflowPrefix } from '../../lib/operations/nightly-start.ts';
import type { nightlyBackups } from '../../workflows/nightly-backups.ts';
import { inLanes, log, round, timed } from './bench-timing.ts';
import { type CpuDuring, measureCpu } from './cpu-usage.ts';
import { writePrivateConfig, ROOT } from './private-config.ts';
import { MiB, RbdData } from './rbd-data.ts';
import { startWorker } from './worker-process.ts';

const VMS = Number(process.env.FLEET_VMS ?? 200);
const PROJECTS = 10;
const CHILDREN_PER_RUN = 50;
/**
 * 32–48 MiB, 8 MiB of it random. Not smaller: backy2 2.9.17's sanity check of
 * an incremental backup samples 5 blocks outside the hints (random.sample), and
 * fails with "Sample larger than population" on a disk with fewer.
 */
const sizeOf = (i: number) => (32 + (i % 3) * 8) * MiB;
const FILL = 8 * MiB;
/** Pieces changed on every disk before an incremental pass, each in its own 4 MiB block. */
const CHANGED_PIECES = 2;
const PIECE = 256 * 1024;
const NIGHT_LIMIT_MINUTES = 20;

interface FleetDisk {
  id: string;
  image: string;
  size: number;
  project: string;
  host: string;
}

export async function fleetBench(): Promise<Record<string, number>> {
  const run = `fleet-${Date.now().toString(36)}`;
  const dir = join(ROOT, '.stack/bench-fleet');
  const configFile = writePrivateConfig('bench-fleet');
  const inventoryFile = join(dir, `inventory-${process.pid}.yaml`);
  const config = loadConfig(configFile);
  const pool = config.workloads.vms.pool;
  const hosts = config.hosts.slice(0, 2);
  const projects = Array.from({ length: PROJECTS }, (_, i) => `p-${run}-${i}`);
  const hostOf = (project: number) => hosts[project < PROJECTS / 2 ? 0 : 1]!.name;
  const disks: FleetDisk[] = Array.from({ length: VMS }, (_, i) => {
    const id = `${run}-${String(i).padStart(3, '0')}`;
    return { id, image: `${id}_disk`, size: sizeOf(i), project: projects[i % PROJECTS]!, host: hostOf(i % PROJECTS) };
  });
  // Other engineers' disks in the pool are not in this file: the nights skip them (no project).
  writeFileSync(inventoryFile, yaml.dump({ vms: Object.fromEntries(disks.map((d) => [d.id, { name: d.id, project: d.project }])) }));
  const raw = yaml.load(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    configFile,
    yaml.dump({
      ...raw,
      inventory: { driver: 'local', file: inventoryFile },
      project_assignments: { projects: Object.fromEntries(projects.map((p, i) => [p, hostOf(i)])) },
    }),
  );

  const data = new RbdData(config.ceph.conf, pool);
  const rbd = (...args: string[]) => data.rbd(...args);
  const change = () => inLanes(disks, 8, (d) => data.changeBlocks(d.image, d.size, CHANGED_PIECES, PIECE).then(() => undefined));
  const workers: Array<Awaited<ReturnType<typeof startWorker>>> = [];
  process.on('exit', () => workers.forEach((w) => w.child.kill('SIGKILL'))); // never leave a worker behind, even on failure
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  try {
    log(`fleet ${run}: creating ${VMS} disks of 32–48 MiB, ${FILL / MiB} MiB of random data each`);
    await inLanes(disks, 8, (d) => data.createRandom(d.image, d.size, FILL));
    workers.push(...(await Promise.all(hosts.map((h) => startWorker(h.name, configFile)))));

    /** Both hosts' nights, started together as `vmbackup run-nightly` starts them; resolves when both have ended. */
    const nights = async (pass: string) => {
      const handles = await Promise.all(
        hosts.map((h) =>
          client.workflow.start<typeof nightlyBackups>('nightlyBackups', {
            taskQueue: config.temporal.task_queue,
            workflowId: `${nightlyWorkflowPrefix(h.name, 'vms')}-${run}-${pass}`,
            args: [{ host: h.name, workload: 'vms', childrenPerRun: CHILDREN_PER_RUN } satisfies NightlyInput],
            typedSearchAttributes: nightlyAttributes(h.name, 'vms'),
          }),
        ),
      );
      // A backup that keeps failing is retried for many minutes: give up well before, and stop the nights.
      const deadline = setTimeout(() => void Promise.all(handles.map((h) => h.terminate(`bench ${pass} pass over ${NIGHT_LIMIT_MINUTES} minutes`))), NIGHT_LIMIT_MINUTES * 60_000);
      try {
        return await Promise.all(handles.map(async (h) => ({ workflowId: h.workflowId, summary: (await h.result()) as NightlySummary })));
      } finally {
        clearTimeout(deadline);
      }
    };
    const check = (pass: string, results: Array<{ summary: NightlySummary }>, kind: 'full' | 'incremental') => {
      for (const { summary: s } of results) {
        const expected = disks.filter((d) => d.host === s.host).length;
        if (s.counts[kind] !== expected || s.counts.failed > 0) throw new Error(`${pass} pass on ${s.host}: expected ${expected} ${kind}, got ${JSON.stringify(s.counts)}`);
      }
    };

    log('fleet: full pass (untimed)');
    const full = await nights('full');
    check('full', full, 'full');
    await change();
    log(`fleet: measured incremental pass through nightlyBackups (childrenPerRun ${CHILDREN_PER_RUN})`);
    let measured!: Awaited<ReturnType<typeof nights>>;
    // Where the cores went: the Temporal server, the workers' Node processes, and the tools they ran.
    const temporalPid = Number(readFileSync(join(ROOT, '.stack/temporal/temporal.pid'), 'utf8').trim());
    let wfCpu!: CpuDuring<unknown, 'temporal' | 'workers'>;
    const workflowSeconds = await timed(async () => {
      wfCpu = await measureCpu({ temporal: [temporalPid], workers: workers.map((w) => w.child.pid!) }, async () => (measured = await nights('incremental')));
    });
    log(
      `fleet: CPU-seconds in the workflow pass: machine ${wfCpu.machine.toFixed(1)}, Temporal server ${wfCpu.groups.temporal.own.toFixed(1)}, ` +
        `workers ${wfCpu.groups.workers.own.toFixed(1)}, their rbd/sqlite3/backy2 ${wfCpu.groups.workers.children.toFixed(1)}`,
    );
    check('incremental', measured, 'incremental');
    if (measured.some(({ summary }) => summary.runs < 2)) log('fleet: a night did not continue as new; raise VMS or lower CHILDREN_PER_RUN');
    log(`fleet: workflow ${workflowSeconds.toFixed(1)} s (${measured.map(({ summary: s }) => `${s.host} ${s.runs} runs`).join(', ')})`);

    // The script continues each disk's chain from the workflow's measured backup
    // (the night's child <night id>/<disk id>: the summary lists only the first few).
    const bases = new Map<string, { snapshot: string; uid: string }>();
    for (const { workflowId, summary } of measured) {
      await inLanes(
        disks.filter((d) => d.host === summary.host),
        16,
        async (d) => {
          const r = (await client.workflow.getHandle(`${workflowId}/${d.id}`).result()) as BackupResult;
          bases.set(d.id, { snapshot: r.plan.snapshot, uid: r.versionUid! });
        },
      );
    }
    await change();
    const hintsDir = join(dir, 'hints');
    mkdirSync(hintsDir, { recursive: true });
    const tags = (project: string) => [KIND_TAGS.incremental, expiryTag(new Date(), config.workloads.vms.live_for_days), projectTag(project)!];
    const byHand = async (host: HostConfig) => {
      const writes = new SerialQueue();
      await inLanes(
        disks.filter((d) => d.host === host.name),
        host.concurrency,
        async (d) => {
          const base = bases.get(d.id)!;
          const snap = `hand-${run}`;
          await rbd('snap', 'create', '--no-progress', `${pool}/${d.image}@${snap}`);
          const hints = join(hintsDir, `${d.image}.json`);
          writeFileSync(hints, await rbd('diff', '--from-snap', base.snapshot, '--whole-object', '--format', 'json', `${pool}/${d.image}@${snap}`));
          await rbd('snap', 'rm', '--no-progress', `${pool}/${d.image}@${base.snapshot}`);
          const tagArgs = tags(d.project).flatMap((t) => ['-t', t]);
          await writes.run(() =>
            execa(config.engine.bin, ['-c', host.backy2_config, 'backup', '-s', snap, '-r', hints, '-f', base.uid, ...tagArgs, `rbd://${pool}/${d.image}@${snap}`, d.image]),
          );
          rmSync(hints);
        },
      );
    };
    log('fleet: the same incremental pass by hand');
    let handCpu!: CpuDuring<unknown, 'script'>;
    const baselineSeconds = await timed(async () => {
      handCpu = await measureCpu({ script: [process.pid] }, () => Promise.all(hosts.map(byHand)));
    });
    log(`fleet: by hand ${baselineSeconds.toFixed(1)} s; CPU-seconds: machine ${handCpu.machine.toFixed(1)}, its rbd/backy2 ${handCpu.groups.script.children.toFixed(1)}`);

    const historyMax = await largestHistory(client, [...full, ...measured], disks);
    return {
      fleet_vms: VMS,
      fleet_children_per_run: CHILDREN_PER_RUN,
      fleet_vms_per_minute: round(VMS / (workflowSeconds / 60), 1),
      fleet_overhead_ratio: round(workflowSeconds / baselineSeconds),
      fleet_workflow_seconds: round(workflowSeconds, 1),
      fleet_baseline_seconds: round(baselineSeconds, 1),
      fleet_history_events_max: historyMax,
      fleet_workflow_cpu_seconds: round(wfCpu.machine, 1),
      fleet_baseline_cpu_seconds: round(handCpu.machine, 1),
      fleet_temporal_server_cpu_seconds: round(wfCpu.groups.temporal.own, 1),
      fleet_worker_node_cpu_seconds: round(wfCpu.groups.workers.own, 1),
      fleet_worker_tools_cpu_seconds: round(wfCpu.groups.workers.children, 1),
      fleet_baseline_tools_cpu_seconds: round(handCpu.groups.script.children, 1),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await connection.close();
    log(`fleet: removing the ${VMS} disks (their backy2 versions stay)`);
    await inLanes(disks, 8, (d) => data.remove(d.image));
    rmSync(inventoryFile, { force: true });
  }
}

/** The longest history of any run of the nights (continued-as-new ones too) and of their children. */
async function largestHistory(client: Client, nights: Array<{ workflowId: string; summary: NightlySummary }>, disks: FleetDisk[]): Promise<number> {
  let max = 0;
  for (const { workflowId, summary } of nights) {
    const runs: string[] = [];
    // Visibility indexes a closed run within a second or two.
    for (let i = 0; i < 50 && runs.length < summary.runs; i++) {
      runs.length = 0;
      for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(wf.runId);
      if (runs.length < summary.runs) await new Promise((r) => setTimeout(r, 200));
    }
    if (runs.length < summary.runs) throw new Error(`${workflowId}: visibility lists ${runs.length} runs, the summary says ${summary.runs}`);
    const children = disks.filter((d) => d.host === summary.host).map((d) => client.workflow.getHandle(`${workflowId}/${d.id}`));
    const handles = [...runs.map((runId) => client.workflow.getHandle(workflowId, runId)), ...children];
    await inLanes(handles, 16, async (h) => {
      const { historyLength } = await h.describe(); // awaited before `max` is read: lanes interleave here
      max = Math.max(max, historyLength);
    });
  }
  return max;
}
