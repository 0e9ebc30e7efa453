// The verify case of `npm run bench`: GiB of stored versions a verifyBackups
// run scrubs per minute, against plain `backy2 scrub` of the same versions, in
// the same run. Two versions of a 1 GiB random disk (a full, then a 5 %
// incremental): 2 GiB of versions. The workflow reads each blob once per batch
// (the incremental shares 95 % of its blocks with the full) and hashes in the
// worker; `backy2 scrub` reads every version's blocks whole. Page cache dropped
// before each; the median of 3 runs. No deep check (it reads the source, not the store).
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import { loadConfig } from '../../lib/config/load.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { VerifySummary } from '../../lib/operations/verify.ts';
import { diskOperationAttributes } from '../../lib/search-attributes.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { log, median, round, timed } from './bench-timing.ts';
import { writePrivateConfig } from './private-config.ts';
import { MiB, RbdData } from './rbd-data.ts';
import { startWorker } from './worker-process.ts';

const RUNS = 3;
const SIZE = 1024 * MiB;
const GiB = 1024 * MiB;

export async function verifyBench(): Promise<Record<string, number>> {
  const configFile = writePrivateConfig('bench');
  const config = loadConfig(configFile);
  const pool = config.workloads.vms.pool;
  const host = config.hosts[0]!;
  const data = new RbdData(config.ceph.conf, pool);
  const vm = `bench-verify-${Date.now().toString(36)}`;
  const image = `${vm}_disk`;
  log(`creating ${image}: ${SIZE / MiB} MiB of random data`);
  await data.createRandom(image, SIZE);
  const worker = await startWorker(host.name, configFile);
  process.on('exit', () => worker.child.kill('SIGKILL')); // never leave a worker behind, even on failure
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const uids: string[] = [];
  let n = 0;
  try {
    for (const change of [0, 0.05]) {
      if (change) await data.changeBlocks(image, SIZE, Math.round((SIZE / (4 * MiB)) * change), 4 * MiB);
      const r = (await client.workflow.execute('backupInstance', {
        taskQueue: hostTaskQueue(config.temporal.task_queue, host.name),
        workflowId: `bench/${vm}/${++n}`,
        args: [{ vmId: vm, pool, host: host.name }],
        typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: vm, host: host.name, project: 'bench' }),
      })) as BackupResult;
      uids.push(r.versionUid!);
    }
    const storedBytes = uids.length * SIZE;
    const wf: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let summary: VerifySummary | undefined;
      wf.push(
        await timed(async () => {
          summary = (await client.workflow.execute('verifyBackups', {
            taskQueue: config.temporal.task_queue,
            workflowId: `bench/${vm}/verify-${i}`,
            args: [{ host: host.name, scrubEveryNights: 1, deepSample: 0, images: [image] }],
          })) as VerifySummary;
        }),
      );
      if (summary!.scrub.ok !== uids.length) throw new Error(`verify checked ${JSON.stringify(summary!.scrub)}, expected ${uids.length} sound versions`);
      raw.push(await timed(async () => {
        for (const uid of uids) await execa(config.engine.bin, ['-c', host.backy2_config, 'scrub', uid]);
      }));
      log(`verify #${i + 1}: workflow ${wf.at(-1)!.toFixed(2)} s, backy2 scrub ${raw.at(-1)!.toFixed(2)} s for ${storedBytes / GiB} GiB of versions`);
    }
    const perMinute = (seconds: number) => round(storedBytes / GiB / (seconds / 60), 2);
    return {
      verify_versions_gib: storedBytes / GiB,
      verify_gib_per_minute: perMinute(median(wf)),
      verify_raw_gib_per_minute: perMinute(median(raw)),
      verify_ratio: round(median(raw) / median(wf)),
      verify_workflow_seconds: round(median(wf)),
      verify_raw_seconds: round(median(raw)),
    };
  } finally {
    for (const uid of uids) await execa(config.engine.bin, ['-c', host.backy2_config, 'rm', '-f', uid], { reject: false });
    await worker.stop();
    await connection.close();
    await data.remove(image);
  }
}
