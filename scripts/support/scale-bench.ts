// The scale case of `npm run bench`: the scale test's cloud (scripts/support/
// scale-cloud.ts: 10,000 servers, 80,000 versions), with the commands an
// operator runs timed by Temporal's own start and close times:
//   scale_nightly_plan_seconds    a dry-run night: inventory of 10,000 servers, plan, summary (median of 3)
//   scale_restore_lookup_seconds  the look-up of one disk's versions among 80,000 (listBackups) for a restore (median of 3)
//   scale_max_payload_bytes       the largest payload of one event in any of their histories
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { log, median, round } from './bench-timing.ts';
import { historyWeights, SCALE_DISKS, type ScaleCloud, startScaleCloud, VERSIONS_PER_DISK } from './scale-cloud.ts';

const RUNS = 3;

export async function scaleBench(): Promise<Record<string, number>> {
  const cloud = await startScaleCloud(log);
  try {
    const run = async (...args: string[]) => {
      const r = await cloud.cli(...args);
      if (r.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
      return r.seconds;
    };
    const restoreSeconds: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await run('run-nightly', '--dry-run');
      restoreSeconds.push(await run('restore', cloud.vm.id, '--dry-run'));
      log(`scale #${i + 1}: run-nightly --dry-run and restore --dry-run answered (restore ${restoreSeconds.at(-1)!.toFixed(1)} s with the CLI's start)`);
    }
    // Every type of workflow the scale test checks, for the largest payload.
    await run('where', cloud.vm.project, '--vm', cloud.vm.name);
    await run('remove-unhandled', '--dry-run');
    const weights = await historyWeights(cloud, ['nightlyBackups', 'listInventory', 'listBackups', 'restoreInstance', 'removeUnhandled']);
    const nights = await closed(cloud, 'nightlyBackups');
    // listBackups of the restores only: the last one is `where`'s.
    const lookups = (await closed(cloud, 'listBackups')).slice(0, RUNS);
    return {
      scale_disks: SCALE_DISKS,
      scale_versions: SCALE_DISKS * VERSIONS_PER_DISK,
      scale_nightly_plan_seconds: round(median(nights.map(seconds))),
      scale_restore_lookup_seconds: round(median(lookups.map(seconds))),
      scale_restore_dry_run_seconds: round(median(restoreSeconds)),
      scale_max_payload_bytes: Math.max(...weights.map((w) => w.maxEventPayloadBytes)),
      scale_max_history_events: Math.max(...weights.map((w) => w.events)),
      scale_max_history_bytes: Math.max(...weights.map((w) => w.bytes)),
    };
  } finally {
    await cloud.cleanup();
  }
}

/** The cloud's closed workflows of `type`, oldest first. */
async function closed(cloud: ScaleCloud, type: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  const query = `WorkflowType = "${type}" AND (TaskQueue = "${cloud.taskQueue}" OR TaskQueue = "${cloud.taskQueue}.host.${cloud.host}") AND ExecutionStatus != "Running"`;
  for await (const wf of cloud.client.workflow.list({ query })) found.push(wf);
  return found.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

const seconds = (wf: WorkflowExecutionInfo) => (wf.closeTime!.getTime() - wf.startTime.getTime()) / 1000;
