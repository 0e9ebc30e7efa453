// Rescue of a VM deleted from OpenStack: a server with the recorded name,
// project, flavor, image and network is created, and its disk matches the
// backup. OpenStack is faked at its HTTP boundary (test/support/fake-openstack.ts);
// the `openstack` CLI, Temporal, Ceph and backy2 are real.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { RescueResult } from '../../lib/operations/rescue.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { createDisk, exportToFile, MiB, removeDisk } from '../support/disks.ts';
import { type FakeOpenstack, startFakeOpenstack } from '../support/fake-openstack.ts';
import { CONFIG_FILE, POOL, rbd, sha256File, uniqueVmId } from '../support/stack.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-rescue-'));
const vm = uniqueVmId('lost');
let fake: FakeOpenstack;
let configFile: string;
let worker: WorkerProcess;
let newId: string | undefined;

before(async () => {
  fake = await startFakeOpenstack({
    servers: [{ id: vm, name: 'db-1', projectId: 'p-demo', status: 'ACTIVE', flavor: 'f-small', image: 'i-cirros', networks: { private: ['10.0.0.7'] }, securityGroups: ['default', 'web'], volumes: [] }],
  });
  fake.powerDelayMs = 200;
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  configFile = join(tmp, 'config.yaml');
  writeFileSync(configFile, yaml.dump({ ...base, compute: { driver: 'openstack', openstack_env: fake.env, wait_seconds: 60 } }));
  worker = await startWorker('backup1', configFile);
});

after(async () => {
  await worker?.stop();
  await fake?.stop();
  const all = (await rbd('ls', POOL)).split('\n');
  for (const i of all.filter((n) => n.startsWith(`${vm}_disk`) || (newId && n.startsWith(`${newId}_disk`)))) await removeDisk(i);
  rmSync(tmp, { recursive: true, force: true });
});

async function cli<T>(...args: string[]): Promise<T> {
  const r = await vmbackupWith(configFile, '-o', 'json', ...args);
  if (r.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

test('a deleted VM is recreated with its recorded flavor, image and network, and its disk matches the backup', { timeout: 300_000 }, async () => {
  const image = await createDisk(vm, 64 * MiB, 32 * MiB);
  const backup = await cli<BackupResult>('backup', vm, '--wait');
  assert.equal(backup.serverRecorded, true, 'the backup recorded what the VM needs to come back');
  const snapFile = join(tmp, 'snap.img');
  await exportToFile(`${image}@${backup.plan.snapshot}`, snapFile);

  // `openstack server delete`: the server and its disk are gone.
  fake.servers.delete(vm);
  await removeDisk(image);

  const r = await cli<RescueResult>('rescue', vm, '--yes');
  newId = r.newVmId;
  assert.notEqual(r.newVmId, vm);
  const created = fake.servers.get(r.newVmId)!;
  assert.deepEqual(
    { name: created.name, project: created.projectId, flavor: created.flavor, image: created.image, networks: Object.keys(created.networks) },
    { name: 'db-1', project: 'p-demo', flavor: 'f-small', image: 'i-cirros', networks: ['private'] },
  );
  assert.equal(created.status, 'ACTIVE', 'the rescued VM runs');
  const disk = join(tmp, 'disk.img');
  await exportToFile(`${r.newVmId}_disk`, disk);
  assert.equal(await sha256File(disk), await sha256File(snapFile), 'its disk is byte-identical to the backup');
  assert.ok(r.notRestored.some((x) => x.includes('10.0.0.7')), 'the lost address is reported');
  assert.ok(r.notRestored.some((x) => x.includes('security groups: default, web')), 'the security groups are reported');
});
