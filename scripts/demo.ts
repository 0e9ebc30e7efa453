// The demo behind `npm run demo`: real disks, real nightly backups, through the CLI.
import { execa } from 'execa';
import { loadConfig, LOCAL_CONFIG } from '../lib/config/load.ts';
import { MiB, RbdData } from './support/rbd-data.ts';

const config = loadConfig(LOCAL_CONFIG);
const data = new RbdData(config.ceph.conf, config.workloads.vms.pool);
const SIZE = 256 * MiB;
const VMS = ['demo-web01', 'demo-db01', 'demo-cache01'];

const vmbackup = (...args: string[]) => execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { stdio: 'inherit' });
const say = (text: string) => console.log(`\n==> ${text}`);

say(`demo disks in pool ${config.workloads.vms.pool}`);
for (const vm of VMS) {
  const image = `${vm}_disk`;
  if (await data.exists(image)) {
    console.log(`${image}: already there (kept from an earlier demo run)`);
  } else {
    await data.createRandom(image, SIZE, SIZE / 2);
    console.log(`${image}: created, ${SIZE / MiB} MiB with ${SIZE / 2 / MiB} MiB of random data`);
  }
}

// The nightly job, as the Schedules start it: every host backs up the VMs of
// the projects assigned to it (config/local.yaml, names and projects from
// config/local-inventory.yaml) and says why it skipped the others.
say('night 1: every host\'s nightly job (full backups on the first demo run)');
await vmbackup('run-nightly', '--wait');

say('changing 8 MiB on each disk');
for (const vm of VMS) await data.changeBlocks(`${vm}_disk`, SIZE, 8);

say('night 2: incremental, reads only the changed blocks');
await vmbackup('run-nightly', '--wait');

say('versions of each disk, newest first');
for (const vm of VMS) {
  console.log(`\n${vm}:`);
  await vmbackup('ls', vm);
}

say('what a purge would remove now (a dry run: it prints the plan and the line that carries it out, --yes --plan)');
await vmbackup('purge', '--dry-run');

say('the Schedules that start the nightly job, the purge, the scrub and the restore drill (times from config/local.yaml)');
// Removing a Schedule an earlier config named needs the plan confirmed: the demo confirms what its dry run shows.
const { stdout } = await execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', '-f', 'json', 'schedule', 'apply', '--dry-run']);
const { plan } = JSON.parse(stdout) as { plan?: string };
await vmbackup('schedule', 'apply', ...(plan ? ['--yes', '--plan', plan] : []));
await vmbackup('schedule', 'list');

say("backup1's verify Schedule, run now: a share of its stored versions scrubbed, the newest compared with its snapshot");
await vmbackup('schedule', 'trigger', 'backup1/verify', '--wait');

say("backup1's restore drill, run now: sampled versions restored to scratch images, checked, removed (the VMs untouched)");
await vmbackup('schedule', 'trigger', 'backup1/drill', '--wait');

say('where to look next');
console.log(`Temporal Web UI:   ${config.temporal.web_ui}/namespaces/${config.temporal.namespace}/workflows`);
console.log(`  filter:          Operation = "nightly"   (a night's summary is its result and memo)`);
console.log(`                   Operation = "backup" AND VmId = "${VMS[0]}"`);
console.log('Recent operations: npx vmbackup status');
console.log('CLI:               npx vmbackup --help   (or: node --import tsx cli/main.ts --help)');
console.log('Workers:           bash scripts/workers.sh status   (logs under .stack/workers/)');
console.log('Stop everything:   npm run stack:down');
