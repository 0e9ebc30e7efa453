// `vmbackup ls VM`: every version of a VM's disk on every backup host, newest first.
import { type Command, Option } from 'commander';
import { expiryFromTags } from '../../lib/backup-tags.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { VmId, type Workload, workloadImage } from '../../lib/naming.ts';
import { withContext } from '../action.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, formatDate } from '../output/format.ts';
import { fetchVersions } from '../versions.ts';

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description("list the backup versions of a VM's disk on every backup host, newest first")
    .argument('<vm>', 'VM id (or a volume or image id with --workload)')
    .addOption(new Option('--workload <kind>', 'what the id names').choices(['vms', 'volumes', 'images']).default('vms'))
    .action(withContext((ctx, vm: string, options: { workload: Workload }) => runLs(ctx, vm, options.workload), { listing: true }));
}

async function runLs(ctx: CliContext, vm: string, workload: Workload): Promise<void> {
  const vmId = VmId.safeParse(vm);
  if (!vmId.success) throw new InvalidInputError(`invalid VM id '${vm}': expected ${vmId.error.issues[0]?.message}`);
  const { versions, unreachable } = await fetchVersions(ctx, vmId.data, workloadImage(workload, vmId.data));
  const rows = versions.map((v) => ({ ...v, expires: expiryFromTags(v.tags) }));
  // Silence from a host is not "no backups": say which answered.
  const answered = ctx.config.hosts.length - unreachable.length;
  ctx.list({
    rows,
    document: { vm: vmId.data, versions: rows, errors: unreachable.map((h) => ({ host: h.host, error: h.error })) },
    empty: unreachable.length === 0 ? `no backups of VM ${vmId.data}` : `no backups of VM ${vmId.data} on the ${answered} of ${ctx.config.hosts.length} hosts that answered`,
    fields: [
      { header: 'DATE', value: (r) => formatDate(r.date), raw: (r) => r.date },
      { header: 'HOST', value: (r) => r.host },
      { header: 'SNAPSHOT', value: (r) => r.snapshotName },
      { header: 'SIZE', value: (r) => formatBytes(r.sizeBytes), raw: (r) => r.sizeBytes, align: 'right' },
      { header: 'UID', value: (r) => r.uid },
      { header: 'VALID', value: (r) => r.valid },
      { header: 'PROTECTED', value: (r) => r.protected },
      { header: 'EXPIRES', value: (r) => r.expires },
      { header: 'TAGS', value: (r) => r.tags.filter((t) => !t.startsWith('expires_')).join(',') },
    ],
  });
  for (const h of unreachable) console.error(`warning: host ${h.host} did not answer: ${h.error}`);
  if (unreachable.length) process.exitCode = EXIT.failed;
}
