// One named VM in a fake OpenStack (project p-demo, assigned to backup1) with
// its disk on the real Ceph and a worker of backup1: what the audit-trail tests
// back up, restore and then read back from Temporal and the Web UI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker } from '../../scripts/support/worker-process.ts';
import { createDisk, MiB, removeDisk } from './disks.ts';
import { fakeServer } from './fake-openstack.ts';
import { withFakeOpenstack } from './openstack-stack.ts';
import { POOL, rbd, uniqueVmId } from './stack.ts';

export async function auditScene(prefix: string) {
  const tmp = mkdtempSync(join(tmpdir(), `vmbackup-${prefix}-`));
  const vm = uniqueVmId(prefix);
  // A name that differs from the id, so a search by VmName proves the name was recorded.
  const name = `web-${vm.slice(-6)}`;
  const { fake, configFile, cli } = await withFakeOpenstack(
    tmp,
    { servers: [fakeServer({ id: vm, name, projectId: 'p-demo' })] },
    () => ({ inventory: { driver: 'openstack' }, project_assignments: { default: 'backup1' } }),
  );
  await createDisk(vm, 16 * MiB, 4 * MiB);
  const worker = await startWorker('backup1', configFile);
  return {
    vm,
    name,
    configFile,
    cli,
    async cleanup() {
      await worker.stop();
      await fake.stop();
      for (const image of (await rbd('ls', POOL)).split('\n').filter((i) => i.startsWith(`${vm}_disk`))) await removeDisk(image);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
