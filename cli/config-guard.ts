// A command that removes or overwrites runs only against the config the
// workers run: an operator who forgot --config (and got the local stack's
// file), or holds an old copy, must not purge or restore by another config's
// hosts, stores and lifespans. Every workflow start of the CLI passes through
// the interceptor below, so no command can forget the check; `schedule apply`,
// which changes Schedules rather than starting workflows, calls it directly.
import type { Client, WorkflowClientInterceptor } from '@temporalio/client';
import { configFingerprint, fingerprintOfIdentity } from '../lib/config/fingerprint.ts';
import type { LoadedConfig } from '../lib/config/load.ts';
import { ConfigMismatchError } from '../lib/errors.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { recentPollers } from '../lib/temporal/pollers.ts';

/** The workflows that remove or overwrite, and when a run of them does (not a dry run, not a report). */
const CHANGES: Record<string, (input: { dryRun?: boolean; purge?: boolean; takeover?: unknown } | undefined) => boolean> = {
  // A takeover removes the lost host's snapshots; a plain night removes only its own host's.
  nightlyBackups: (i) => i?.takeover !== undefined && i.dryRun !== true,
  purgeExpired: (i) => i?.dryRun !== true,
  removeInvalids: (i) => i?.dryRun !== true,
  removeUnhandled: (i) => i?.dryRun !== true,
  danglingSnapshots: (i) => i?.purge === true,
  purgeAside: (i) => i?.dryRun !== true,
  restoreInstance: (i) => i?.dryRun !== true,
  restoreProject: (i) => i?.dryRun !== true,
  rescueInstance: () => true,
};

/**
 * A worker long-polls each queue for up to a minute, so one that runs was seen
 * within this; one stopped longer ago no longer counts (Temporal lists it for minutes).
 */
export const LIVE_WITHIN_MS = 90_000;

/** Refuses (ConfigMismatchError) unless every live worker of this config's queues publishes this config's fingerprint. */
export async function assertWorkersRunThisConfig(client: Client, config: LoadedConfig, what: string): Promise<void> {
  const mine = configFingerprint(config);
  const { namespace, task_queue } = config.temporal;
  const queues = [task_queue, ...config.hosts.map((h) => hostTaskQueue(task_queue, h.name))];
  const others = (await recentPollers(client, namespace, queues, LIVE_WITHIN_MS)).filter((p) => fingerprintOfIdentity(p.identity) !== mine);
  if (others.length === 0) return;
  const seen = others.map((p) => `worker ${p.identity.replace(/ config:\w+$/, '')} on ${p.queue}: ${fingerprintOfIdentity(p.identity) ? `config ${fingerprintOfIdentity(p.identity)}` : 'no config fingerprint (an older vmbackup)'}`);
  throw new ConfigMismatchError(
    `refusing ${what}: this command's config ${config.source} (fingerprint ${mine}) is not the one the workers run:\n  ${seen.join('\n  ')}\nnothing was started or changed`,
    `Run the command with the workers' config (--config FILE or $VMBACKUP_CONFIG; the workers' command line names theirs). If you changed the config on purpose (hosts, stores, pools, lifespans, task queue, compute driver), restart the workers with it first; a worker stopped less than ${LIVE_WITHIN_MS / 1000} s ago still counts.`,
  );
}

/** Checks every start of a workflow that removes or overwrites; `client` is the client this interceptor is installed in. */
export function configGuard(config: LoadedConfig, client: () => Client): WorkflowClientInterceptor {
  const check = async (workflowType: string, args: unknown[]) => {
    const changes = CHANGES[workflowType];
    if (changes?.(args[0] as Parameters<typeof changes>[0])) await assertWorkersRunThisConfig(client(), config, `to start ${workflowType}`);
  };
  return {
    async startWithDetails(input, next) {
      await check(input.workflowType, input.options.args);
      return next(input);
    },
    async signalWithStart(input, next) {
      await check(input.workflowType, input.options.args);
      return next(input);
    },
  };
}
