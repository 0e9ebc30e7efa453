// The openstack compute driver against a fake OpenStack. Only OpenStack is
// faked, at its HTTP boundary (Keystone, Nova, Cinder, Glance, Neutron in
// test/support/fake-openstack.ts); the `openstack` CLI that the driver runs is
// the real one, so these tests also pin the requests and output it produces.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { ServerState } from '../../activities/compute/compute-driver.ts';
import { OpenstackComputeDriver } from '../../activities/compute/openstack.ts';
import { CommandError, InvalidInputError } from '../../lib/errors.ts';
import { fakeServer, type FakeOpenstack, startFakeOpenstack } from '../support/fake-openstack.ts';

const WEB = 'b1f6c6a4-3c55-4a0e-9d3e-0c3b6c1f0a01';
const DB = 'b1f6c6a4-3c55-4a0e-9d3e-0c3b6c1f0a02';
const OPS = 'b1f6c6a4-3c55-4a0e-9d3e-0c3b6c1f0a03';
const SLOW = 'b1f6c6a4-3c55-4a0e-9d3e-0c3b6c1f0a04';
const VOL_DATA = 'c2a7d7b5-0000-4000-8000-0000000000d1';
const VOL_ROOT = 'c2a7d7b5-0000-4000-8000-0000000000d2';



let fake: FakeOpenstack;
let driver: OpenstackComputeDriver;

before(async () => {
  fake = await startFakeOpenstack({
    servers: [
      fakeServer({
        id: WEB,
        name: 'web01',
        projectId: 'p-demo',
        networks: { private: ['10.0.0.5'], public: ['203.0.113.7', '2001:db8::7'] },
        securityGroups: ['default', 'web'],
        volumes: [VOL_DATA],
      }),
      // Booted from a volume: Nova reports no image.
      fakeServer({ id: DB, name: 'db01', status: 'SHUTOFF', image: undefined, volumes: [VOL_ROOT] }),
      fakeServer({ id: OPS, name: 'ops01' }),
      fakeServer({ id: SLOW, name: 'slow01' }),
    ],
    volumes: [
      { id: VOL_DATA, name: 'web-data', projectId: 'p-demo', sizeGb: 10, attachedTo: { serverId: WEB, device: '/dev/vdb' } },
      { id: VOL_ROOT, name: 'db-root', projectId: 'p-admin', sizeGb: 20, attachedTo: { serverId: DB, device: '/dev/vda' } },
      { id: 'c2a7d7b5-0000-4000-8000-0000000000d3', name: 'spare', projectId: 'p-admin', sizeGb: 1 },
    ],
    images: [{ id: 'i-cirros', name: 'cirros' }],
    flavors: [
      { id: 'f-small', name: 'm1.small', vcpus: 1, ramMb: 2048, diskGb: 20 },
      { id: 'f-large', name: 'm1.large', vcpus: 4, ramMb: 8192, diskGb: 80 },
    ],
    networks: [
      { id: 'n-private', name: 'private', projectId: 'p-admin' },
      { id: 'n-rescue', name: 'rescue', projectId: 'p-demo' },
    ],
  });
  driver = new OpenstackComputeDriver({ env: fake.env });
});

after(async () => {
  await fake?.stop();
});

/** Runs `fn`, reporting its wall time (each driver call is one or two CLI processes). */
async function timed<T>(t: TestContext, label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    t.diagnostic(`${label}: ${((performance.now() - started) / 1000).toFixed(2)} s`);
  }
}

/** The requests the fake answered since `from`, as `METHOD /path`. */
const requestsSince = (from: number) => fake.calls.slice(from).map((c) => `${c.method} ${c.path.split('?')[0]}`);

test('show returns a seeded server with its fields', async (t) => {
  const from = fake.calls.length;
  const state = await timed(t, 'show', () => driver.show(WEB));
  assert.deepEqual(state, {
    id: WEB,
    name: 'web01',
    status: 'ACTIVE',
    projectId: 'p-demo',
    flavor: 'f-small',
    image: 'i-cirros',
    networks: { private: ['10.0.0.5'], public: ['203.0.113.7', '2001:db8::7'] },
    securityGroups: ['default', 'web'],
    volumes: [VOL_DATA],
    properties: {},
  } satisfies ServerState);
  assert.deepEqual(requestsSince(from), [
    'GET /identity/v3',
    'POST /identity/v3/auth/tokens',
    `GET /compute/v2.1/servers/${WEB}`,
    'GET /image',
    'GET /image/v2/images/i-cirros',
    'GET /compute/v2.1/flavors/f-small',
  ]);
  assert.deepEqual(fake.unknown, []);

  const bfv = await timed(t, 'show (booted from volume)', () => driver.show(DB));
  assert.equal(bfv?.image, undefined);
  assert.equal(bfv?.status, 'SHUTOFF');
  assert.deepEqual(bfv?.volumes, [VOL_ROOT]);
});

test('show of an unknown id is undefined', async (t) => {
  assert.equal(await timed(t, 'show (unknown)', () => driver.show('0d5c3b1a-0000-4000-8000-000000000000')), undefined);
  // The CLI takes a name too; none matches.
  assert.equal(await driver.show('no-such-server'), undefined);
});

test('show does not mistake a failed login for a missing server', async () => {
  const wrong = new OpenstackComputeDriver({ env: { ...fake.env, OS_PASSWORD: 'wrong' } });
  await assert.rejects(wrong.show(WEB), (err) => err instanceof CommandError && /401/.test(err.message));
});

test('stop turns a server SHUTOFF, start turns it ACTIVE again', async (t) => {
  const from = fake.calls.length;
  await timed(t, 'stop', () => driver.stop(OPS));
  assert.equal(fake.servers.get(OPS)?.status, 'SHUTOFF');
  const action = fake.calls.slice(from).find((c) => c.method === 'POST' && c.path === `/compute/v2.1/servers/${OPS}/action`);
  assert.deepEqual(action?.body, { 'os-stop': null });
  assert.equal((await driver.show(OPS))?.status, 'SHUTOFF');

  await timed(t, 'start', () => driver.start(OPS));
  assert.equal(fake.servers.get(OPS)?.status, 'ACTIVE');
  assert.ok(fake.calls.some((c) => c.path === `/compute/v2.1/servers/${OPS}/action` && c.body !== undefined && 'os-start' in (c.body as object)));
});

test('stop and start are idempotent, also while Nova is still powering off', async (t) => {
  await driver.stop(OPS);
  await timed(t, 'stop (already SHUTOFF)', () => driver.stop(OPS));
  assert.equal(fake.calls.at(-1)?.status, 409, 'Nova refused the second stop; the driver took it as done');
  assert.equal(fake.servers.get(OPS)?.status, 'SHUTOFF');
  await driver.start(OPS);
  await timed(t, 'start (already ACTIVE)', () => driver.start(OPS));
  assert.equal(fake.servers.get(OPS)?.status, 'ACTIVE');

  // With a slow hypervisor, the caller polls show() until the server is off.
  fake.powerDelayMs = 4000;
  try {
    await driver.stop(SLOW);
    assert.equal(fake.servers.get(SLOW)?.taskState, 'powering-off');
    await driver.stop(SLOW);
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      const status = (await driver.show(SLOW))?.status ?? 'gone';
      seen.push(status);
      if (status === 'SHUTOFF') break;
    }
    assert.equal(seen.at(-1), 'SHUTOFF');
    assert.equal(seen[0], 'ACTIVE', 'the stop had not taken effect yet when the caller first looked');
  } finally {
    fake.powerDelayMs = 0;
  }
});

test('create makes a server in the given project, with the given flavor, image and network', async (t) => {
  const from = fake.calls.length;
  const { id } = await timed(t, 'create', () =>
    driver.create({ name: 'rescue-web01', projectId: 'p-demo', flavor: 'f-large', image: 'i-cirros', network: 'n-rescue' }),
  );
  const made = fake.servers.get(id);
  assert.ok(made, `the fake holds server ${id}`);
  assert.equal(made.name, 'rescue-web01');
  assert.equal(made.projectId, 'p-demo');
  assert.equal(made.flavor, 'f-large');
  assert.equal(made.image, 'i-cirros');
  assert.deepEqual(Object.keys(made.networks), ['rescue']);
  // The token was scoped to the target project by id, over OS_PROJECT_NAME=admin from the env.
  const auth = fake.calls.slice(from).find((c) => c.path === '/identity/v3/auth/tokens')?.body as { auth: { scope: unknown } };
  assert.deepEqual(auth.auth.scope, { project: { id: 'p-demo' } });
  assert.deepEqual(requestsSince(from), [
    'GET /identity/v3',
    'POST /identity/v3/auth/tokens',
    'GET /image',
    'GET /image/v2/images/i-cirros',
    'GET /compute/v2.1/flavors/f-large',
    'GET /network/v2.0/networks/n-rescue',
    'POST /compute/v2.1/servers',
    `GET /compute/v2.1/servers/${id}`,
    'GET /image/v2/images/i-cirros',
    'GET /compute/v2.1/flavors/f-large',
  ]);

  // Names work as well as ids for flavor, image and network.
  const { id: byName } = await driver.create({ name: 'rescue-2', projectId: 'p-admin', flavor: 'm1.small', image: 'cirros', network: 'private' });
  assert.equal(fake.servers.get(byName)?.flavor, 'f-small');
  assert.deepEqual(Object.keys(fake.servers.get(byName)?.networks ?? {}), ['private']);
});

test('listServers returns every server of every project, with its volumes', async (t) => {
  const from = fake.calls.length;
  const list = await timed(t, 'listServers', () => driver.listServers());
  const requests = fake.calls.slice(from);
  assert.deepEqual(list.map((s) => s.id).sort(), [...fake.servers.keys()].sort());
  // Each entry says what show says, but for the server's properties (metadata), which only show reads.
  for (const id of [WEB, DB]) {
    const { properties: _properties, ...shown } = (await driver.show(id))!;
    assert.deepEqual(list.find((s) => s.id === id), shown);
  }
  // Two CLI processes at once, so their requests interleave.
  assert.deepEqual(
    requests.map((c) => `${c.method} ${c.path}`).sort(),
    [
      // server list --all-projects --long --limit -1 --no-name-lookup (the image client still discovers its
      // version): python-novaclient asks for pages by marker until one comes back empty
      'GET /identity/v3',
      'POST /identity/v3/auth/tokens',
      'GET /image',
      'GET /compute/v2.1/servers/detail?all_tenants=True',
      `GET /compute/v2.1/servers/detail?all_tenants=True&marker=${[...fake.servers.keys()].at(-1)}`,
      // volume list --all-projects --long (it lists the scoped project's servers, for their names)
      'GET /identity/v3',
      'POST /identity/v3/auth/tokens',
      'GET /compute/v2.1/servers/detail',
      'GET /volume/v3/p-admin/volumes/detail?all_tenants=True',
    ].sort(),
  );
});

test('listServers on a cloud without Cinder reports no volumes', async () => {
  const bare = await startFakeOpenstack({ withoutVolumeService: true, servers: [fakeServer({ id: WEB, name: 'web01', volumes: [VOL_DATA] })] });
  try {
    const list = await new OpenstackComputeDriver({ env: bare.env }).listServers();
    assert.deepEqual(
      list.map((s) => [s.id, s.volumes]),
      [[WEB, []]],
    );
  } finally {
    await bare.stop();
  }
});

test('OS_CLOUD with a clouds.yaml works, and an OS_* variable of the worker does not leak in', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmbackup-clouds-'));
  const file = join(dir, 'clouds.yaml');
  writeFileSync(
    file,
    [
      'clouds:',
      '  fake:',
      '    auth:',
      `      auth_url: ${fake.env.OS_AUTH_URL}`,
      `      username: ${fake.env.OS_USERNAME}`,
      `      password: ${fake.env.OS_PASSWORD}`,
      '      project_name: admin',
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '    identity_api_version: 3',
      '',
    ].join('\n'),
  );
  const ambient = process.env.OS_CLOUD;
  process.env.OS_CLOUD = 'not-this-one';
  try {
    const viaCloud = new OpenstackComputeDriver({ env: { OS_CLOUD: 'fake', OS_CLIENT_CONFIG_FILE: file } });
    assert.equal((await viaCloud.show(WEB))?.name, 'web01');
    assert.equal((await driver.show(WEB))?.name, 'web01', 'the ambient OS_CLOUD is blanked for an env-configured driver');
  } finally {
    if (ambient === undefined) delete process.env.OS_CLOUD;
    else process.env.OS_CLOUD = ambient;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an id with shell metacharacters is refused before any request reaches the fake', async () => {
  const from = fake.calls.length;
  const bad = ['web01; rm -rf /', '$(reboot)', '`id`', 'a|b', 'a b', '--all-projects', '-f', '../etc', '', 'x'.repeat(200)];
  for (const id of bad) {
    for (const call of [() => driver.show(id), () => driver.stop(id), () => driver.start(id)]) {
      await assert.rejects(call(), InvalidInputError, `refused ${JSON.stringify(id)}`);
    }
  }
  const spec = { name: 'rescue', projectId: 'p-demo', flavor: 'f-small', image: 'i-cirros', network: 'n-private' };
  for (const override of [
    { name: 'x; reboot' },
    { name: '--wait' },
    { projectId: '$(id)' },
    { flavor: '-f' },
    { image: 'a&b' },
    // `--nic net-id=…` is itself a list: no smuggling a port or a fixed IP in.
    { network: 'n-private,v4-fixed-ip=10.0.0.1' },
  ]) {
    await assert.rejects(driver.create({ ...spec, ...override }), InvalidInputError, JSON.stringify(override));
  }
  assert.equal(fake.calls.length, from, 'no request reached the fake');
});
