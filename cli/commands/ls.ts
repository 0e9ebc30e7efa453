// `vmbackup ls VM`: every version of a VM's disk on every backup host, newest first.
import { type Command, Option } from 'commander';
import { expiryFromTags } from '../../lib/backup-tags.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { VmId, type Workload, workloadImage } from '../../lib/naming.ts';
import { CliContext, type GlobalOptions } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, formatDate } from '../output/format.ts';
import { renderTable } from '../output/table.ts';
import { fetchVersions } from '../versions.ts';

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description("list the backup versions of a VM's disk on every backup host, newest first")
    .argument('<vm>', 'VM id (or a volume or image id with --workload)')
    .addOption(new Option('--workload <kind>', 'what the id names').choices(['vms', 'volumes', 'images']).default('vms'))
    .action(async (vm: string, options: { workload: Workload }, command: Command) => {
      const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
      try {
        await runLs(ctx, vm, options.workload);
      } finally {
        await ctx.close();
      }
    });
}

async function runLs(ctx: CliContext, vm: string, workload: Workload): Promise<void> {
  const vmId = VmId.safeParse(vm);
  if (!vmId.success) throw new InvalidInputError(`invalid VM id '${vm}': expected ${vmId.error.issues[0]?.message}`);
  const { versions, unreachable } = await fetchVersions(ctx, vmId.data, workloadImage(workload, vmId.data));
  const rows = versions.map((v) => ({ ...v, expires: expiryFromTags(v.tags) }));
  if (ctx.output === 'json') {
    console.log(JSON.stringify({ vm: vmId.data, versions: rows, errors: unreachable.map((h) => ({ host: h.host, error: h.error })) }, null, 2));
  } else if (rows.length === 0) {
    // Silence from a host is not "no backups": say which answered.
    const answered = ctx.config.hosts.length - unreachable.length;
    console.log(unreachable.length === 0 ? `no backups of VM ${vmId.data}` : `no backups of VM ${vmId.data} on the ${answered} of ${ctx.config.hosts.length} hosts that answered`);
  } else {
    console.log(
      renderTable(rows, [
        { header: 'DATE', value: (r) => formatDate(r.date) },
        { header: 'HOST', value: (r) => r.host },
        { header: 'SNAPSHOT', value: (r) => r.snapshotName },
        { header: 'SIZE', value: (r) => formatBytes(r.sizeBytes), align: 'right' },
        { header: 'UID', value: (r) => r.uid },
        { header: 'VALID', value: (r) => r.valid },
        { header: 'PROTECTED', value: (r) => r.protected },
        { header: 'EXPIRES', value: (r) => r.expires },
        { header: 'TAGS', value: (r) => r.tags.filter((t) => !t.startsWith('expires_')).join(',') },
      ]),
    );
  }
  for (const h of unreachable) console.error(`warning: host ${h.host} did not answer: ${h.error}`);
  if (unreachable.length) process.exitCode = EXIT.failed;
}
