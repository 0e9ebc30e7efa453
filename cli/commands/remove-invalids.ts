// `vmbackup remove-invalids`: removes the versions backy2 marks invalid from
// each host's store (a backup that failed or was killed mid-copy leaves one).
// Each host does its own store, in a removeInvalids workflow on its queue.
import type { Command } from 'commander';
import type { RemoveInvalidsResult } from '../../lib/operations/remove-invalids.ts';
import type { removeInvalids } from '../../workflows/remove-invalids.ts';
import { consentOf } from '../confirm.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, formatDate } from '../output/format.ts';
import type { Field } from '../output/render.ts';
import { renderTable } from '../output/table.ts';
import { printPlanned, runPlannedPerHost } from '../planned-per-host.ts';

interface RemoveInvalidsOptions {
  host?: string;
  dryRun?: boolean;
  yes?: boolean;
  plan?: string;
}

export function registerRemoveInvalids(program: Command): void {
  program
    .command('remove-invalids')
    .description('remove backup versions marked invalid from every host store')
    .option('--host <name>', 'only this backup host')
    .option('-n, --dry-run', 'list what would be removed, remove nothing; prints the line that confirms this plan')
    .option('-y, --yes', 'remove the versions of the plan given with --plan')
    .option('--plan <token>', 'the plan a dry run printed (<host>:<digest>,…); the run removes nothing if its plan differs')
    .addHelpText(
      'after',
      `
Protected versions are kept, and so are those of a disk whose backup runs now
(its version is invalid until the copy ends). Only invalid versions are ever
removed, so a disk's valid versions are never touched.

Run --dry-run first: it prints the plan and the line that carries it out
(--yes --plan TOKEN). If another version turned invalid since, nothing is
removed. On a terminal, without --yes, the plan is shown and you are asked.

Examples:
  vmbackup remove-invalids --dry-run
  vmbackup remove-invalids --host backup1 --yes --plan backup1:3f2a9c1e04 -f json`,
    )
    .action(withContext((ctx, options: RemoveInvalidsOptions) => runRemoveInvalids(ctx, options), { listing: true }));
}

async function runRemoveInvalids(ctx: CliContext, options: RemoveInvalidsOptions): Promise<void> {
  const consent = consentOf(options, { command: 'remove-invalids', action: 'removes backup versions', planRequired: true });
  const client = await ctx.temporal();
  const outcome = await runPlannedPerHost<typeof removeInvalids>(ctx, client, consent, options.host, {
    workflowType: 'removeInvalids',
    idPrefix: 'remove-invalids',
    input: (host, confirmedPlan) => ({ host, dryRun: confirmedPlan === undefined, ...(confirmedPlan ? { confirmedPlan } : {}) }),
    describe: (results) => `remove ${results.reduce((n, r) => n + r.versions.filter((v) => v.state === 'invalid').length, 0)} invalid versions on ${results.map((r) => r.host).join(', ')}`,
    show: printTable,
  });
  const { errors } = outcome;
  printPlanned(ctx, outcome, { rows: invalidRows, show: printTable });
  for (const e of errors) console.error(`warning: host ${e.host} was not checked: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}

function invalidRows(results: RemoveInvalidsResult[]) {
  const rows = results.flatMap((r) => r.versions.map((v) => ({ host: r.host, dryRun: r.dryRun, ...v })));
  const fields: Field<(typeof rows)[number]>[] = [
    { header: 'HOST', value: (r) => r.host },
    { header: 'NAME', value: (r) => r.name },
    { header: 'DATE', value: (r) => formatDate(r.date), raw: (r) => r.date },
    { header: 'SNAPSHOT', value: (r) => r.snapshotName },
    { header: 'SIZE', value: (r) => formatBytes(r.sizeBytes), raw: (r) => r.sizeBytes, align: 'right' },
    { header: 'UID', value: (r) => r.uid },
    {
      header: 'OUTCOME',
      value: (r) => (r.removed ? 'removed' : r.state !== 'invalid' ? `kept: ${r.reason}` : r.dryRun ? 'would remove' : 'kept'),
    },
  ];
  return { rows, fields, empty: 'no invalid versions' };
}

function printTable(results: RemoveInvalidsResult[]): void {
  const { rows, fields, empty } = invalidRows(results);
  console.log(rows.length === 0 ? empty : renderTable(rows, fields));
}
