// Versions of every backup host's store, asked through the listBackups workflow
// (each host answers from its own store). Hosts with no worker are skipped and
// reported, not waited for.
import type { EngineVersion } from '../activities/engine/engine.ts';
import { Operation } from '../lib/search-attributes.ts';
import { hostsWithWorkers, NO_WORKER } from '../lib/temporal/pollers.ts';
import type { listBackups } from '../workflows/list-backups.ts';
import type { CliContext } from './context.ts';
import { lookupId } from './workflow-id.ts';

export type HostVersion = EngineVersion & { host: string };

export interface FetchedVersions {
  versions: HostVersion[];
  /** Hosts that did not answer, and why. */
  unreachable: Array<{ host: string; error: string }>;
}

/** Versions named `name` (all versions when undefined; only `uid` when given), newest first. */
export async function fetchVersions(ctx: CliContext, vmId: string, name: string | undefined, uid?: string): Promise<FetchedVersions> {
  const client = await ctx.temporal();
  const hosts = ctx.config.hosts.map((h) => h.name);
  const live = await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, hosts);
  const idle = hosts.filter((h) => !live.has(h)).map((host) => ({ host, error: NO_WORKER }));
  // listBackups itself runs on a host worker: with none, it would wait for ever.
  if (live.size === 0) return { versions: [], unreachable: idle };
  const perHost = await client.workflow.execute<typeof listBackups>('listBackups', {
    taskQueue: ctx.config.temporal.task_queue,
    workflowId: lookupId('ls', vmId),
    args: [{ name, uid, hosts: hosts.filter((h) => live.has(h)) }],
    // No VmId: a read-only look-up is no operation on the disk, and an auditor's
    // `VmId = "…"` search (and `vmbackup history`) must list only what changed it.
    typedSearchAttributes: [{ key: Operation, value: 'list' }],
    staticSummary: `list versions of ${vmId} (read-only)`,
  });
  return {
    versions: perHost.flatMap((h) => h.versions.map((v) => ({ host: h.host, ...v }))).sort((a, b) => b.date.localeCompare(a.date)),
    unreachable: [
      ...idle,
      ...perHost.filter((h) => h.error).map((h) => ({ host: h.host, error: h.error! })),
    ],
  };
}
