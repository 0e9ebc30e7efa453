// Commands that run once per backup host (snapshots, remove-invalids): on the
// host named with --host, or on every configured one. A host with no worker
// polling, or whose run fails, is named in `errors`; the others still report.
import type { Client } from '@temporalio/client';
import { hostConfig } from '../lib/config/load.ts';
import { rootCause } from '../lib/errors.ts';
import { hostsWithWorkers } from '../lib/temporal/pollers.ts';
import type { CliContext } from './context.ts';

export interface PerHost<T> {
  results: T[];
  errors: Array<{ host: string; error: string }>;
}

export async function runPerHost<T>(ctx: CliContext, client: Client, only: string | undefined, run: (host: string) => Promise<T>): Promise<PerHost<T>> {
  const wanted = only === undefined ? ctx.config.hosts.map((h) => h.name) : [hostConfig(ctx.config, only).name];
  const live = await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, wanted);
  const outcomes = await Promise.all(
    wanted.map(async (host): Promise<{ result: T } | { host: string; error: string }> => {
      if (!live.has(host)) return { host, error: 'no worker is polling its task queue' };
      try {
        return { result: await run(host) };
      } catch (err) {
        return { host, error: rootCause(err).message };
      }
    }),
  );
  return {
    results: outcomes.flatMap((o) => ('result' in o ? [o.result] : [])),
    errors: outcomes.flatMap((o) => ('error' in o ? [o] : [])),
  };
}
