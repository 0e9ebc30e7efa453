// The inventory's pure parts: the CLI row parser, image names back to disk ids,
// the local inventory file, the driver the config picks, and takeInventory's
// join of the inventory with the pool (on stand-ins for the driver and `rbd`).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Rbd } from '../../activities/ceph/rbd.ts';
import { createInventoryActivities } from '../../activities/inventory-activities.ts';
import { createInventoryDriver } from '../../activities/inventory/create.ts';
import type { InventoryDriver } from '../../activities/inventory/inventory-driver.ts';
import { readLastInventory } from '../../activities/inventory/last-inventory-file.ts';
import { InventoryRows } from '../../activities/inventory/openstack.ts';
import { type LoadedConfig, loadConfig, LOCAL_CONFIG } from '../../lib/config/load.ts';
import { ConfigError, InvalidInputError } from '../../lib/errors.ts';
import { loadLocalInventoryFile } from '../../lib/fleet/local-inventory-file.ts';
import { diskIdFromImage } from '../../lib/naming.ts';

const dir = mkdtempSync(join(tmpdir(), 'vmbackup-inventory-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('CLI rows: id, name, status and project, whichever project column the command prints', () => {
  assert.deepEqual(
    InventoryRows.parse([
      // server list -c ID -c Name -c Status -c 'Project ID'
      { ID: 's1', Name: 'web01', Status: 'BUILD', 'Project ID': 'p-demo' },
      // image list --long: Glance's owner is `Project`
      { ID: 'i1', Name: 'foo-shelved', Status: 'active', Project: 'p-admin', 'Disk Format': 'raw', Tags: [] },
      // volume list --long on CLI 6.x: no project; Cinder allows a volume without a name
      { ID: 'v1', Name: null, Status: 'backing-up', Size: 1, 'Attached to': [] },
      // a column missing altogether, an empty one
      { ID: 'v2', 'Project ID': '' },
    ]),
    [
      { id: 's1', name: 'web01', projectId: 'p-demo', status: 'BUILD' },
      { id: 'i1', name: 'foo-shelved', projectId: 'p-admin', status: 'active' },
      { id: 'v1', name: '', projectId: undefined, status: 'backing-up' },
      { id: 'v2', name: '', projectId: undefined, status: undefined },
    ],
  );
});

test('CLI rows: an id that could not be an RBD image name is refused, with the row that has it', () => {
  for (const id of ['a;b', '../x', '-rf', '', 'a b']) {
    const result = InventoryRows.safeParse([{ ID: 'ok' }, { ID: id, Name: 'x' }]);
    assert.equal(result.success, false, JSON.stringify(id));
    assert.deepEqual(result.error?.issues[0]?.path, [1, 'ID']);
  }
  assert.equal(InventoryRows.safeParse([{ Name: 'no id' }]).success, false);
  assert.equal(InventoryRows.safeParse({ ID: 'not a list' }).success, false);
});

test('image names back to disk ids, per workload; anything else in the pool is no disk', () => {
  const cases: Array<[Parameters<typeof diskIdFromImage>[0], string, string | undefined]> = [
    ['vms', 'ee8bd285-73ab-4981-a1f1-498b79b50e2a_disk', 'ee8bd285-73ab-4981-a1f1-498b79b50e2a'],
    ['vms', 'ee8bd285_disk.config', undefined],
    ['vms', 'ee8bd285_disk.swap', undefined],
    ['vms', 'ee8bd285_disk.vmbackup-aside-20261101T120000', undefined],
    ['vms', '_disk', undefined],
    ['vms', 'volume-abc', undefined],
    ['volumes', 'volume-c2a7d7b5-0000-4000-8000-0000000000d1', 'c2a7d7b5-0000-4000-8000-0000000000d1'],
    ['volumes', 'volume-abc.vmbackup-aside-20261101T120000', undefined],
    ['volumes', 'abc_disk', undefined],
    ['volumes', 'volume-', undefined],
    ['images', '5f1b0c9e-1111-4000-8000-000000000001', '5f1b0c9e-1111-4000-8000-000000000001'],
    ['images', '5f1b0c9e.vmbackup-aside-20261101T120000', undefined],
    // a pool shared with Nova or Cinder: their images are not Glance's
    ['images', 'abc_disk', undefined],
    ['images', 'abc_disk.config', undefined],
    ['images', 'volume-abc', undefined],
  ];
  for (const [workload, image, id] of cases) assert.equal(diskIdFromImage(workload, image), id, `${workload} ${image}`);
});

test('local inventory file: names, projects and states by id; empty sections and a missing file are no entries', () => {
  const file = write('ok.yaml', ['vms:', '  web-1: {name: web01, project: p-demo, status: ACTIVE}', '  bare: {}', 'volumes:', ''].join('\n'));
  assert.deepEqual(loadLocalInventoryFile(file), {
    vms: { 'web-1': { name: 'web01', project: 'p-demo', status: 'ACTIVE' }, bare: { name: '' } },
    volumes: {},
    images: {},
  });
  assert.deepEqual(loadLocalInventoryFile(write('empty.yaml', '')), { vms: {}, volumes: {}, images: {} });
  assert.deepEqual(loadLocalInventoryFile(join(dir, 'not-there.yaml')), { vms: {}, volumes: {}, images: {} });
  // The shipped file (the demo's VMs) is valid.
  assert.equal(loadLocalInventoryFile(loadConfig(LOCAL_CONFIG).inventory.file!).vms['demo-db01']?.project, 'ops');
});

test('local inventory file: a bad one is a ConfigError naming the file and the key path', () => {
  const refusals: Array<[string, RegExp]> = [
    ['vms:\n  web1: {name: web01, projet: p-demo}\n', /Unrecognized key: "projet"[\s\S]*at vms\.web1/],
    ['vms:\n  "a;b": {name: x}\n', /at vms/],
    ['volumes:\n  v1: {project: 7}\n', /at volumes\.v1\.project/],
    ['servers: {}\n', /Unrecognized key: "servers"/],
    ['vms: [a, b]\n', /at vms/],
    ['vms: {a: [\n', /not valid YAML/],
  ];
  for (const [i, [text, expected]] of refusals.entries()) {
    const file = write(`bad-${i}.yaml`, text);
    assert.throws(
      () => loadLocalInventoryFile(file),
      (err) => err instanceof ConfigError && err.message.startsWith(file) && expected.test(err.message),
      text,
    );
  }
});

const config = (inventory: Omit<LoadedConfig['inventory'], 'max_vanished_share'>, workloads: Partial<LoadedConfig['workloads']> = {}): LoadedConfig => {
  const base = loadConfig(LOCAL_CONFIG);
  return { ...base, inventory: { max_vanished_share: 0.1, ...inventory }, workloads: { ...base.workloads, ...workloads } };
};
/** A host whose state_dir is a fresh folder of this file's. */
const hostIn = (name: string) => ({ ...loadConfig(LOCAL_CONFIG).hosts[0]!, state_dir: join(dir, name) });

/** An `rbd` stand-in whose pools hold the given images. */
const fakeRbd = (pools: Record<string, string[]>) => ({ listImages: async (pool: string) => pools[pool] ?? [] }) as unknown as Rbd;

test('the config picks the driver; the local one lists the workload’s pool', async () => {
  const rbd = fakeRbd({ rbd: ['vm1_disk', 'vm1_disk.config'], volumes: ['volume-v1'] });
  assert.equal(createInventoryDriver(config({ driver: 'openstack' }), rbd).kind, 'openstack');
  const local = createInventoryDriver(config({ driver: 'local', file: undefined }), rbd);
  assert.equal(local.kind, 'local');
  assert.deepEqual(await local.list('vms'), [{ id: 'vm1', name: '', projectId: undefined, status: undefined }]);
  assert.deepEqual(
    (await local.list('volumes')).map((e) => e.id),
    ['v1'],
  );
  const noImages = createInventoryDriver(config({ driver: 'local' }, { images: undefined }), rbd);
  await assert.rejects(noImages.list('images'), InvalidInputError);
});

test('takeInventory joins the inventory with the pool: onCeph says whether the image is there', async () => {
  const inventory: InventoryDriver = {
    kind: 'openstack',
    list: async () => [
      { id: 'vm1', name: 'web01', projectId: 'p-demo', status: 'ACTIVE' },
      { id: 'vm2', name: 'db01', projectId: 'p-demo', status: 'ACTIVE' },
    ],
  };
  const { takeInventory } = createInventoryActivities({ rbd: fakeRbd({ rbd: ['vm1_disk', 'other_disk'] }), inventory, config: config({ driver: 'openstack' }), host: hostIn('join') });
  const snapshot = await takeInventory({ workload: 'vms' });
  assert.equal(snapshot.pool, 'rbd');
  assert.equal(snapshot.driver, 'openstack');
  assert.deepEqual(snapshot.disks, [
    { id: 'vm1', name: 'web01', projectId: 'p-demo', status: 'ACTIVE', image: 'vm1_disk', onCeph: true },
    { id: 'vm2', name: 'db01', projectId: 'p-demo', status: 'ACTIVE', image: 'vm2_disk', onCeph: false },
  ]);

  const unconfigured = createInventoryActivities({ rbd: fakeRbd({}), inventory, config: config({ driver: 'openstack' }, { volumes: undefined }), host: hostIn('join') });
  await assert.rejects(unconfigured.takeInventory({ workload: 'volumes' }), (err) => err instanceof InvalidInputError && /workloads\.volumes is not configured/.test(err.message));
});

test('takeInventory records itself as the host’s reference, except an inventory that shrank sharply, which it warns of', async () => {
  let listed = ['vm1', 'vm2', 'vm3', 'vm4'];
  const inventory: InventoryDriver = { kind: 'openstack', list: async () => listed.map((id) => ({ id, name: id })) };
  const host = hostIn('reference');
  const warnings: string[] = [];
  const { takeInventory } = createInventoryActivities({ rbd: fakeRbd({}), inventory, config: config({ driver: 'openstack' }), host, warn: (m) => warnings.push(m) });
  const first = await takeInventory({ workload: 'vms' });
  assert.deepEqual(readLastInventory(host.state_dir, 'vms'), { workload: 'vms', driver: 'openstack', takenAt: first.takenAt, ids: listed, missingSince: {} });
  listed = ['vm1', 'vm2'];
  await takeInventory({ workload: 'vms' });
  assert.equal(readLastInventory(host.state_dir, 'vms')?.takenAt, first.takenAt, 'half the disks gone: the older reference stays');
  assert.match(warnings.join('\n'), /2 of the 4 disks of the inventory of .* are gone, more than inventory\.max_vanished_share/);
  listed = ['vm1', 'vm2', 'vm3', 'vm4', 'vm5'];
  const third = await takeInventory({ workload: 'vms' });
  assert.deepEqual(readLastInventory(host.state_dir, 'vms')?.ids, listed);
  assert.equal(readLastInventory(host.state_dir, 'vms')?.takenAt, third.takenAt);
});
