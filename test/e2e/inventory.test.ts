// The inventory drivers and takeInventory. OpenStack is faked at its HTTP
// boundary only (test/support/fake-openstack.ts): the `openstack` CLI that the
// openstack driver runs is the real one, so these tests also pin what that CLI
// asks for and prints. The pools are the real one-node Ceph cluster's, listed
// with the real `rbd`; the local driver reads a real YAML file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Rbd } from '../../activities/ceph/rbd.ts';
import { OpenstackComputeDriver } from '../../activities/compute/openstack.ts';
import type { HostDeps } from '../../activities/host-deps.ts';
import { createInventoryActivities } from '../../activities/inventory-activities.ts';
import { LocalInventory } from '../../activities/inventory/local.ts';
import { OpenstackInventory } from '../../activities/inventory/openstack.ts';
import { createRestoreActivities } from '../../activities/restore-activities.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { InventoryDisk } from '../../lib/fleet/inventory.ts';
import { type Workload, workloadImage } from '../../lib/naming.ts';
import { fakeServer, type FakeOpenstack, startFakeOpenstack } from '../support/fake-openstack.ts';
import { CEPH_CONF, config, rbd, uniqueVmId } from '../support/stack.ts';

const WEB = uniqueVmId('inv-web');
const BUILDING = uniqueVmId('inv-build');
/** Booted from a volume: Nova made no `<id>_disk`. */
const FROM_VOLUME = uniqueVmId('inv-bfv');
const VOL_ROOT = uniqueVmId('inv-volroot');
const VOL_BUSY = uniqueVmId('inv-volbusy');
const IMG = uniqueVmId('inv-img');
const SHELVED = uniqueVmId('inv-shelved');
/** Images Glance lists only when asked: a community one and a hidden one. */
const COMMUNITY = uniqueVmId('inv-community');
const HIDDEN = uniqueVmId('inv-hidden');
const ASIDE_SUFFIX = '.vmbackup-aside-20261101T120000';

const pools = { vms: config.workloads.vms.pool, volumes: config.workloads.volumes!.pool, images: config.workloads.images!.pool };
/** Every image this file makes, by pool; the moved-aside copies must never show up as disks. */
const made: Array<[string, string]> = [
  [pools.vms, workloadImage('vms', WEB)],
  [pools.vms, workloadImage('vms', BUILDING)],
  [pools.vms, `${workloadImage('vms', WEB)}${ASIDE_SUFFIX}`],
  [pools.volumes, workloadImage('volumes', VOL_ROOT)],
  [pools.volumes, workloadImage('volumes', VOL_BUSY)],
  [pools.images, workloadImage('images', IMG)],
  [pools.images, workloadImage('images', SHELVED)],
  [pools.images, `${IMG}${ASIDE_SUFFIX}`],
  [pools.images, workloadImage('images', COMMUNITY)],
  [pools.images, workloadImage('images', HIDDEN)],
];
const ours = new Set([WEB, BUILDING, FROM_VOLUME, VOL_ROOT, VOL_BUSY, IMG, SHELVED, COMMUNITY, HIDDEN]);

const realRbd = new Rbd({ conf: CEPH_CONF, bin: config.ceph.rbd_bin });
const dir = mkdtempSync(join(tmpdir(), 'vmbackup-inventory-'));
let fake: FakeOpenstack;
let openstack: OpenstackInventory;

before(async () => {
  fake = await startFakeOpenstack({
    servers: [
      fakeServer({ id: WEB, name: 'web01', projectId: 'p-demo' }),
      fakeServer({ id: BUILDING, name: 'new01', status: 'BUILD' }),
      fakeServer({ id: FROM_VOLUME, name: 'db01', projectId: 'p-demo', image: undefined, volumes: [VOL_ROOT] }),
    ],
    volumes: [
      { id: VOL_ROOT, name: 'db-root', projectId: 'p-demo', sizeGb: 20, attachedTo: { serverId: FROM_VOLUME, device: '/dev/vda' } },
      { id: VOL_BUSY, name: 'scratch', projectId: 'p-admin', sizeGb: 1, status: 'backing-up' },
    ],
    images: [
      { id: IMG, name: 'debian-12', owner: 'p-demo' },
      { id: SHELVED, name: 'foo-shelved', owner: 'p-admin', status: 'active' },
      { id: COMMUNITY, name: 'shared-base', owner: 'p-demo', visibility: 'community' },
      { id: HIDDEN, name: 'old-base', owner: 'p-admin', hidden: true },
    ],
  });
  openstack = new OpenstackInventory({ env: fake.env });
  await Promise.all(made.map(([pool, image]) => rbd('create', '--size', '4M', `${pool}/${image}`)));
});

after(async () => {
  await fake?.stop();
  await Promise.all(made.map(([pool, image]) => rbd('rm', '--no-progress', `${pool}/${image}`).catch(() => undefined)));
  rmSync(dir, { recursive: true, force: true });
});

/** takeInventory with `driver`, keeping only this file's disks (the pools are shared with other tests). */
async function inventory(driver: OpenstackInventory | LocalInventory, workload: Workload) {
  // A state_dir of this file's own: the reference it records is no host's.
  const host = { ...config.hosts[0]!, state_dir: join(dir, 'state') };
  const { takeInventory } = createInventoryActivities({ rbd: realRbd, inventory: driver, config, host, warn: () => {} });
  const snapshot = await takeInventory({ workload });
  assert.equal(snapshot.pool, pools[workload]);
  assert.equal(snapshot.driver, driver.kind);
  assert.ok(!Number.isNaN(Date.parse(snapshot.takenAt)));
  return snapshot.disks.filter((d) => ours.has(d.id)).sort((a, b) => a.id.localeCompare(b.id));
}

const byId = (disks: InventoryDisk[]) => [...disks].sort((a, b) => a.id.localeCompare(b.id));

test('openstack: every server of every project, BUILD ones too; one booted from a volume is not on Ceph', async () => {
  const from = fake.calls.length;
  assert.deepEqual(
    await inventory(openstack, 'vms'),
    byId([
      { id: WEB, name: 'web01', projectId: 'p-demo', status: 'ACTIVE', image: `${WEB}_disk`, onCeph: true },
      { id: BUILDING, name: 'new01', projectId: 'p-admin', status: 'BUILD', image: `${BUILDING}_disk`, onCeph: true },
      { id: FROM_VOLUME, name: 'db01', projectId: 'p-demo', status: 'ACTIVE', image: `${FROM_VOLUME}_disk`, onCeph: false },
    ]),
  );
  assert.ok(fake.calls.slice(from).some((c) => c.path === '/compute/v2.1/servers/detail?all_tenants=True'));
  assert.deepEqual(fake.unknown, []);
});

test('openstack: volumes of every project with their Cinder status; the project comes from a per-project listing on CLI 6.x', async () => {
  const from = fake.calls.length;
  assert.deepEqual(
    await inventory(openstack, 'volumes'),
    byId([
      { id: VOL_ROOT, name: 'db-root', projectId: 'p-demo', status: 'in-use', image: `volume-${VOL_ROOT}`, onCeph: true },
      { id: VOL_BUSY, name: 'scratch', projectId: 'p-admin', status: 'backing-up', image: `volume-${VOL_BUSY}`, onCeph: true },
    ]),
  );
  const volumeLists = fake.calls
    .slice(from)
    .map((c) => c.path)
    .filter((p) => p.startsWith('/volume/v3/'))
    .sort();
  assert.deepEqual(volumeLists, [
    '/volume/v3/p-admin/volumes/detail?all_tenants=True',
    '/volume/v3/p-admin/volumes/detail?all_tenants=True&project_id=p-admin',
    '/volume/v3/p-admin/volumes/detail?all_tenants=True&project_id=p-demo',
  ]);
  assert.deepEqual(fake.unknown, []);
});

test('openstack: images with their owner and status, shelved-instance snapshots, community and hidden images included', async () => {
  assert.deepEqual(
    await inventory(openstack, 'images'),
    byId([
      { id: IMG, name: 'debian-12', projectId: 'p-demo', status: 'active', image: IMG, onCeph: true },
      { id: SHELVED, name: 'foo-shelved', projectId: 'p-admin', status: 'active', image: SHELVED, onCeph: true },
      { id: COMMUNITY, name: 'shared-base', projectId: 'p-demo', status: 'active', image: COMMUNITY, onCeph: true },
      { id: HIDDEN, name: 'old-base', projectId: 'p-admin', status: 'active', image: HIDDEN, onCeph: true },
    ]),
  );
  assert.deepEqual(fake.unknown, []);
});

test('local: the disks in the pools, named by the YAML file; moved-aside copies are not disks', async () => {
  const file = join(dir, 'inventory.yaml');
  writeFileSync(
    file,
    [
      'vms:',
      `  ${WEB}: {name: web01, project: p-demo, status: ACTIVE}`,
      // Listed but not in the pool: the local inventory is the pool's disks, so it is not reported.
      `  ${FROM_VOLUME}: {name: db01, project: p-demo}`,
      'volumes:',
      `  ${VOL_BUSY}: {name: scratch, project: p-admin, status: backing-up}`,
      'images:',
      '',
    ].join('\n'),
  );
  const local = new LocalInventory(file, (workload) => realRbd.listImages(pools[workload]));
  assert.deepEqual(
    await inventory(local, 'vms'),
    byId([
      { id: WEB, name: 'web01', projectId: 'p-demo', status: 'ACTIVE', image: `${WEB}_disk`, onCeph: true },
      { id: BUILDING, name: '', projectId: undefined, status: undefined, image: `${BUILDING}_disk`, onCeph: true },
    ]),
  );
  assert.deepEqual(
    await inventory(local, 'volumes'),
    byId([
      { id: VOL_ROOT, name: '', projectId: undefined, status: undefined, image: `volume-${VOL_ROOT}`, onCeph: true },
      { id: VOL_BUSY, name: 'scratch', projectId: 'p-admin', status: 'backing-up', image: `volume-${VOL_BUSY}`, onCeph: true },
    ]),
  );
  assert.deepEqual(
    await inventory(local, 'images'),
    byId([
      { id: IMG, name: '', projectId: undefined, status: undefined, image: IMG, onCeph: true },
      { id: SHELVED, name: '', projectId: undefined, status: undefined, image: SHELVED, onCeph: true },
      { id: COMMUNITY, name: '', projectId: undefined, status: undefined, image: COMMUNITY, onCeph: true },
      { id: HIDDEN, name: '', projectId: undefined, status: undefined, image: HIDDEN, onCeph: true },
    ]),
  );
});

test('local: no file (or a file that is not there) means disks without names or projects; a bad file is a ConfigError naming the key', async () => {
  for (const file of [undefined, join(dir, 'missing.yaml')]) {
    const local = new LocalInventory(file, (workload) => realRbd.listImages(pools[workload]));
    const disks = await inventory(local, 'vms');
    assert.deepEqual(
      disks.map((d) => [d.id, d.name, d.projectId]),
      [WEB, BUILDING].sort().map((id) => [id, '', undefined]),
    );
  }
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, `vms:\n  ${WEB}: {name: web01, projet: p-demo}\n`);
  const local = new LocalInventory(bad, (workload) => realRbd.listImages(pools[workload]));
  await assert.rejects(inventory(local, 'vms'), (err) => err instanceof ConfigError && err.message.includes(bad) && err.message.includes(`at vms["${WEB}"]`) && /projet/.test(err.message));
});

test('openstack: listings longer than one page are read to the end (servers, volumes, images, a project’s servers for mass restore)', async (t) => {
  // 50 a page, as `osapi_max_limit` / `api_limit_max` would on a cloud 20 times this size.
  const projects = ['p-admin', 'p-demo', 'p-third'];
  const id = (kind: string, i: number) => `${kind}-${String(i).padStart(4, '0')}`;
  const projectOf = (i: number) => (i < 60 ? 'p-demo' : i < 100 ? 'p-admin' : 'p-third');
  const servers = Array.from({ length: 120 }, (_, i) => fakeServer({ id: id('srv', i), name: `vm${i}`, projectId: projectOf(i) }));
  const volumes = Array.from({ length: 70 }, (_, i) => ({
    id: id('vol', i),
    name: `vol${i}`,
    // More than a page in p-demo, so `volume list --project` must page too.
    projectId: i < 55 ? 'p-demo' : projects[i % 3]!,
    sizeGb: 1,
    // Attached to a server of the last page, through a volume of the last page.
    ...(i === 69 ? { attachedTo: { serverId: id('srv', 119), device: '/dev/vdb' } } : {}),
  }));
  const images = Array.from({ length: 60 }, (_, i) => ({ id: id('img', i), name: `image${i}`, owner: projects[i % 3]! }));
  const big = await startFakeOpenstack({ maxLimit: 50, projects: projects.map((p) => ({ id: p, name: p.slice(2) })), servers, volumes, images });
  try {
    const inventory = new OpenstackInventory({ env: big.env });
    const ids = async (workload: Workload) => (await inventory.list(workload)).map((e) => e.id).sort();
    assert.deepEqual(await ids('vms'), servers.map((s) => s.id));
    const listed = await inventory.list('volumes');
    assert.deepEqual(listed.map((v) => [v.id, v.projectId]).sort(), volumes.map((v) => [v.id, v.projectId]), 'every volume, each with its project');
    assert.deepEqual(await ids('images'), images.map((i) => i.id));

    const compute = new OpenstackComputeDriver({ env: big.env });
    const all = await compute.listServers();
    assert.equal(all.length, 120);
    assert.deepEqual(all.find((s) => s.id === id('srv', 119))?.volumes, [id('vol', 69)]);
    const { listProjectServers } = createRestoreActivities({ compute } as unknown as HostDeps);
    const demo = await listProjectServers({ project: 'p-demo' });
    assert.deepEqual(demo.map((s) => s.id).sort(), servers.filter((s) => s.projectId === 'p-demo').map((s) => s.id), 'a mass restore sees all 60 VMs of the project');

    // Each service was really read page by page, as the real ones must be.
    const paged = (prefix: string) => big.calls.filter((c) => c.path.startsWith(prefix) && c.path.includes('marker=')).length;
    t.diagnostic(`requests with a marker: servers ${paged('/compute/v2.1/servers')}, volumes ${paged('/volume/v3/')}, images ${paged('/image/v2/images')}`);
    assert.ok(paged('/compute/v2.1/servers/detail') > 0 && paged('/volume/v3/') > 0 && paged('/image/v2/images') > 0);
    assert.deepEqual(big.unknown, []);
  } finally {
    await big.stop();
  }
});
