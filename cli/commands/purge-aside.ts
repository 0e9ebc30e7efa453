// `vmbackup purge-aside`: removes the images restores moved aside, once older
// than restore.keep_aside_days. Dry-run first shows what would go.
import type { Command } from 'commander';
import { InvalidInputError, VmbackupError } from '../../lib/errors.ts';
import { Operation } from '../../lib/search-attributes.ts';
import { hostsWithWorkers } from '../../lib/temporal/pollers.ts';
import type { purgeAside } from '../../workflows/purge-aside.ts';
import { CliContext, type GlobalOptions } from '../context.ts';
import { formatDate } from '../output/format.ts';
import { renderTable } from '../output/table.ts';

export function registerPurgeAside(program: Command): void {
  program
    .command('purge-aside')
    .description('remove images that restores moved aside, once older than restore.keep_aside_days')
    .option('-n, --dry-run', 'list what would be removed, remove nothing')
    .option('--as-of <date>', 'judge ages as of this date (UTC) instead of now: see what a later purge will remove')
    .action(async (options: { dryRun?: boolean; asOf?: string }, command: Command) => {
      const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
      try {
        const now = options.asOf === undefined ? new Date() : new Date(options.asOf);
        if (Number.isNaN(now.getTime())) throw new InvalidInputError(`--as-of '${options.asOf}' is not a date`);
        const client = await ctx.temporal();
        const hosts = ctx.config.hosts.map((h) => h.name);
        const [host] = await hostsWithWorkers(client, ctx.config.temporal.namespace, ctx.config.temporal.task_queue, hosts);
        if (!host) throw new VmbackupError('no backup host has a running worker', 'Start the workers first.');
        const w = ctx.config.workloads;
        const pools = [...new Set([w.vms.pool, w.volumes?.pool, w.images?.pool].filter((p): p is string => p !== undefined))];
        const r = await client.workflow.execute<typeof purgeAside>('purgeAside', {
          taskQueue: ctx.config.temporal.task_queue,
          workflowId: `purge-aside/${now.toISOString().slice(0, 19).replaceAll(':', '')}${options.dryRun ? '/dry-run' : ''}`,
          args: [{ host, pools, keepDays: ctx.config.restore.keep_aside_days, now: now.toISOString(), dryRun: Boolean(options.dryRun) }],
          typedSearchAttributes: [{ key: Operation, value: options.dryRun ? 'plan' : 'purge' }],
        });
        if (ctx.output === 'json') {
          console.log(JSON.stringify(r, null, 2));
          return;
        }
        const rows = [
          ...r.removed.map((x) => ({ ...x, outcome: options.dryRun ? 'would remove' : 'removed' })),
          ...r.kept.map((x) => ({ ...x, outcome: `kept: ${x.reason}` })),
        ];
        console.log(
          rows.length
            ? renderTable(rows, [
                { header: 'POOL', value: (x) => x.pool },
                { header: 'IMAGE', value: (x) => x.image },
                { header: 'MOVED ASIDE', value: (x) => formatDate(x.asideAt) },
                { header: 'OUTCOME', value: (x) => x.outcome },
              ])
            : 'no moved-aside images',
        );
      } finally {
        await ctx.close();
      }
    });
}
