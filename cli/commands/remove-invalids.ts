// `vmbackup remove-invalids`: removes the versions backy2 marks invalid from
// each host's store (a backup that failed or was killed mid-copy leaves one).
// Each host does its own store, in a removeInvalids workflow on its queue.
import type { Command } from 'commander';
import type { RemoveInvalidsResult } from '../../lib/operations/remove-invalids.ts';
import type { removeInvalids } from '../../workflows/remove-invalids.ts';
import { CliContext, type GlobalOptions } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, formatDate } from '../output/format.ts';
import { renderTable } from '../output/table.ts';
import { executeHostWorkflow, idStamp, runPerHost } from '../per-host.ts';

interface RemoveInvalidsOptions {
  host?: string;
  dryRun?: boolean;
}

export function registerRemoveInvalids(program: Command): void {
  program
    .command('remove-invalids')
    .description('remove backup versions marked invalid from every host store')
    .option('--host <name>', 'only this backup host')
    .option('-n, --dry-run', 'list what would be removed, remove nothing')
    .addHelpText(
      'after',
      `
Protected versions are kept, and so are those of a disk whose backup runs now
(its version is invalid until the copy ends).

Examples:
  vmbackup remove-invalids --dry-run
  vmbackup remove-invalids --host backup1 -o json`,
    )
    .action(async (options: RemoveInvalidsOptions, command: Command) => {
      const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
      try {
        await runRemoveInvalids(ctx, options);
      } finally {
        await ctx.close();
      }
    });
}

async function runRemoveInvalids(ctx: CliContext, options: RemoveInvalidsOptions): Promise<void> {
  const client = await ctx.temporal();
  const dryRun = Boolean(options.dryRun);
  const stamp = idStamp();
  const { results, errors } = await runPerHost(ctx, client, options.host, (host) =>
    executeHostWorkflow<typeof removeInvalids>(ctx, client, {
      workflowType: 'removeInvalids',
      idPrefix: 'remove-invalids',
      host,
      stamp,
      dryRun,
      operation: dryRun ? 'plan' : 'purge',
      input: { host, dryRun },
    }),
  );
  if (ctx.output === 'json') console.log(JSON.stringify({ dryRun, hosts: results, errors }, null, 2));
  else printTable(results);
  for (const e of errors) console.error(`warning: host ${e.host} was not checked: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}

function printTable(results: RemoveInvalidsResult[]): void {
  const rows = results.flatMap((r) => r.versions.map((v) => ({ host: r.host, dryRun: r.dryRun, ...v })));
  if (rows.length === 0) {
    console.log('no invalid versions');
    return;
  }
  console.log(
    renderTable(rows, [
      { header: 'HOST', value: (r) => r.host },
      { header: 'NAME', value: (r) => r.name },
      { header: 'DATE', value: (r) => formatDate(r.date) },
      { header: 'SNAPSHOT', value: (r) => r.snapshotName },
      { header: 'SIZE', value: (r) => formatBytes(r.sizeBytes), align: 'right' },
      { header: 'UID', value: (r) => r.uid },
      {
        header: 'OUTCOME',
        value: (r) => (r.removed ? 'removed' : r.state !== 'invalid' ? `kept: ${r.reason}` : r.dryRun ? 'would remove' : 'kept'),
      },
    ]),
  );
}
