// The local production stack's pieces agree with each other: the config the
// CLI and workers use (config/local-production.yaml), the versions file the
// scripts source, and the certificates certs.sh makes (names and what they
// are good for). The stack itself runs in test/e2e/production-stack.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { loadConfig, LOCAL_CONFIG } from '../../lib/config/load.ts';
import { productionVersions } from '../../scripts/production/versions.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PRODUCTION_CONFIG = join(REPO, 'config/local-production.yaml');
const V = productionVersions();
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-certs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('config/local-production.yaml is config/local.yaml pointed at the production frontend with mTLS', () => {
  const local = yaml.load(readFileSync(LOCAL_CONFIG, 'utf8')) as Record<string, unknown> & { hosts: Array<Record<string, unknown>> };
  const prod = yaml.load(readFileSync(PRODUCTION_CONFIG, 'utf8')) as typeof local;
  const { temporal: _t1, hosts: localHosts, ...localRest } = local;
  const { temporal: _t2, hosts: prodHosts, ...prodRest } = prod;
  assert.deepEqual(prodRest, localRest, 'everything but temporal and the hosts is local.yaml');
  assert.deepEqual(prodHosts.map(({ temporal_tls: _tls, ...h }) => h), localHosts);

  const config = loadConfig(PRODUCTION_CONFIG);
  const tlsDir = join(REPO, '.stack/production/tls');
  assert.equal(config.temporal.address, `127.0.0.1:${V.PROD_FRONTEND_PORT}`);
  assert.equal(config.temporal.web_ui, `http://127.0.0.1:${V.PROD_UI_PORT}`);
  assert.equal(config.temporal.namespace, V.TEMPORAL_NAMESPACE);
  assert.deepEqual(config.temporal.tls, { ca: join(tlsDir, V.TLS_CA_CERT!), cert: join(tlsDir, 'client-cli.pem'), key: join(tlsDir, 'client-cli.key'), server_name: V.TLS_SERVER_NAME });
  for (const host of config.hosts) assert.deepEqual(host.temporal_tls, { cert: join(tlsDir, `client-${host.name}.pem`), key: join(tlsDir, `client-${host.name}.key`) });
});

test('certs.sh: the layout versions.env names; server for its name and 127.0.0.1, clients for client auth only; keys 0600; a re-run keeps them', async () => {
  await execa('bash', [join(REPO, 'scripts/production/certs.sh'), tmp]);
  const clients = V.TLS_CLIENTS!.split(',');
  const expected = ['ca.key', V.TLS_CA_CERT!, V.TLS_SERVER_CERT!, V.TLS_SERVER_KEY!, ...clients.flatMap((c) => [`client-${c}.pem`, `client-${c}.key`])];
  assert.deepEqual(readdirSync(tmp).filter((f) => f !== 'ca.srl').sort(), expected.sort());
  const text = async (file: string) => (await execa('openssl', ['x509', '-noout', '-text', '-in', join(tmp, file)])).stdout;
  const server = await text(V.TLS_SERVER_CERT!);
  assert.match(server, new RegExp(`DNS:${V.TLS_SERVER_NAME}, DNS:localhost, IP Address:127\\.0\\.0\\.1`));
  assert.match(server, /TLS Web Server Authentication, TLS Web Client Authentication/);
  for (const c of clients) {
    const cert = await text(`client-${c}.pem`);
    assert.match(cert, new RegExp(`Subject: O ?= ?vmbackup, CN ?= ?${c}\\b`));
    assert.match(cert, /Extended Key Usage: *\n *TLS Web Client Authentication\n/);
    await execa('openssl', ['verify', '-CAfile', join(tmp, V.TLS_CA_CERT!), join(tmp, `client-${c}.pem`)]);
  }
  for (const key of expected.filter((f) => f.endsWith('.key'))) assert.equal((await execa('stat', ['-c', '%a', join(tmp, key)])).stdout, '600', key);
  const before = readFileSync(join(tmp, 'client-backup1.pem'), 'utf8');
  await execa('bash', [join(REPO, 'scripts/production/certs.sh'), tmp]);
  assert.equal(readFileSync(join(tmp, 'client-backup1.pem'), 'utf8'), before, 'a valid certificate is kept');
  await assert.rejects(execa('bash', [join(REPO, 'scripts/production/certs.sh'), tmp, 'temporal', 'bad/name']), /client name 'bad\/name'/);
});
