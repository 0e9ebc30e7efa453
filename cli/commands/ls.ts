// `vmbackup ls VM`: every version of a VM's disk on every backup host, newest
// first; the VM named by id or by name. `vmbackup ls --host H`: every version in
// one host's store, a page at a time.
import { type Command, Option } from 'commander';
import { expiryFromTags } from '../../lib/backup-tags.ts';
import { InvalidInputError, UnknownVmError } from '../../lib/errors.ts';
import { leftAfter, MAX_PAGE } from '../../lib/listings/page.ts';
import { type Workload, workloadImage } from '../../lib/naming.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { listOnHost } from '../host-listing.ts';
import { listWithNotes } from '../listing-notes.ts';
import { formatBytes, formatDate } from '../output/format.ts';
import type { Field } from '../output/render.ts';
import { parsePaging } from '../paging.ts';
import { runPerHost } from '../per-host.ts';
import { diskLabel, resolveDiskArg } from '../resolve-disk.ts';
import { fetchVersions, type HostVersion } from '../versions.ts';

interface LsOptions {
  workload: Workload;
  host?: string;
  limit: string;
  offset: string;
}

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description("list the backup versions of a VM's disk on every backup host (or every version on one host), newest first")
    .argument('[vm]', 'VM id or name (or a volume or image id or name with --workload)')
    .addOption(new Option('--workload <kind>', 'what the id or name names').choices(['vms', 'volumes', 'images']).default('vms'))
    .option('--host <name>', 'only this backup host; without a VM: every version in its store')
    .option('--limit <n>', `versions shown at most with --host and no VM (up to ${MAX_PAGE})`, '200')
    .option('--offset <n>', 'versions skipped first (the next page)', '0')
    .addHelpText(
      'after',
      `
A name is looked up in the inventory (a backup host's worker takes it); a name
that several VMs carry is refused (exit 2) with their ids. An id the inventory
does not list (a deleted VM) still shows its backups; exit 3 when there are none.

Examples:
  vmbackup ls web01
  vmbackup ls 3f1c…-…-… -f json
  vmbackup ls web01 -f value -c uid
  vmbackup ls --host backup1 --limit 50`,
    )
    .action(
      withContext(
        async (ctx, vm: string | undefined, options: LsOptions) => {
          if (vm === undefined && options.host === undefined) throw new InvalidInputError('give a VM (id or name), or --host for every version on that host');
          if (vm === undefined) await runLsHost(ctx, options.host!, options);
          else await runLs(ctx, vm, options);
        },
        { listing: true },
      ),
    );
}

type Row = HostVersion & { expires: string | undefined };
const withExpiry = (v: HostVersion): Row => ({ ...v, expires: expiryFromTags(v.tags) });

const VERSION_FIELDS: Array<Field<Row>> = [
  { header: 'DATE', value: (r) => formatDate(r.date), raw: (r) => r.date },
  { header: 'HOST', value: (r) => r.host },
  { header: 'SNAPSHOT', value: (r) => r.snapshotName },
  { header: 'SIZE', value: (r) => formatBytes(r.sizeBytes), raw: (r) => r.sizeBytes, align: 'right' },
  { header: 'UID', value: (r) => r.uid },
  { header: 'VALID', value: (r) => r.valid },
  { header: 'PROTECTED', value: (r) => r.protected },
  { header: 'EXPIRES', value: (r) => r.expires },
  { header: 'TAGS', value: (r) => r.tags.filter((t) => !t.startsWith('expires_')).join(',') },
];

async function runLs(ctx: CliContext, vm: string, options: LsOptions): Promise<void> {
  const disk = await resolveDiskArg(ctx, vm, options.workload, { allowUnlisted: true });
  const { versions, unreachable } = await fetchVersions(ctx, disk.id, workloadImage(options.workload, disk.id));
  const rows = versions.filter((v) => options.host === undefined || v.host === options.host).map(withExpiry);
  // An argument that names nothing (a mistyped name, an unknown id) is no "no backups".
  if (rows.length === 0 && disk.via === 'id' && unreachable.length === 0) {
    throw new UnknownVmError(
      `no ${options.workload === 'vms' ? 'VM' : options.workload.slice(0, -1)} '${vm}' in the inventory, and no backups of that id on any host`,
      'Check the id or name; `vmbackup ls --host HOST` lists what a host holds.',
    );
  }
  // Silence from a host is not "no backups": say which answered.
  const answered = ctx.config.hosts.length - unreachable.length;
  const label = diskLabel(disk);
  ctx.list({
    rows,
    document: { vm: disk.id, name: disk.name, versions: rows, errors: unreachable.map((h) => ({ host: h.host, error: h.error })) },
    empty: unreachable.length === 0 ? `no backups of VM ${label}` : `no backups of VM ${label} on the ${answered} of ${ctx.config.hosts.length} hosts that answered`,
    fields: VERSION_FIELDS,
  });
  for (const h of unreachable) console.error(`warning: host ${h.host} did not answer: ${h.error}`);
  if (unreachable.length) process.exitCode = EXIT.failed;
}

async function runLsHost(ctx: CliContext, host: string, options: LsOptions): Promise<void> {
  const { limit, offset } = parsePaging(options);
  const { results, errors } = await runPerHost(ctx, await ctx.temporal(), host, (h) => listOnHost(ctx, { listing: 'versions', host: h, limit, offset }));
  const page = results[0]?.page;
  const rows = (page?.rows ?? []).map((v) => withExpiry({ ...v, host }));
  const more = page ? leftAfter(page) : 0;
  const note = page ? `${rows.length} of ${page.total} versions on ${host}${more ? `; ${more} more: --offset ${offset + rows.length}` : ''}` : undefined;
  listWithNotes(ctx, {
    rows,
    document: { host, ...(page ? { total: page.total, offset, more, versions: rows } : {}), errors },
    empty: page ? `no versions on ${host}${offset ? ` after the first ${offset}` : ''}` : '',
    fields: [{ header: 'DISK', value: (r) => r.name }, ...VERSION_FIELDS.filter((f) => f.header !== 'HOST')],
  }, note ? [note] : []);
  for (const e of errors) console.error(`warning: host ${e.host} did not answer: ${e.error}`);
  if (errors.length) process.exitCode = EXIT.failed;
}
