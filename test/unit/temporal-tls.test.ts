// TLS to Temporal as the config describes it: cert and key together, each
// worker's own client certificate, server names that are names, and files
// that cannot be read (or are not PEM) reported with the key that named them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../lib/config/load.ts';
import { ConfigError } from '../../lib/errors.ts';
import { tlsOptions } from '../../lib/temporal/connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'vmbackup-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const pem = (label: string) => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
for (const name of ['ca.pem', 'cli.pem', 'backup1.pem']) writeFileSync(join(dir, name), pem('CERTIFICATE'));
for (const name of ['cli.key', 'backup1.key']) writeFileSync(join(dir, name), pem('PRIVATE KEY'));
writeFileSync(join(dir, 'der.pem'), Buffer.from([0x30, 0x82, 0x01, 0x0a]));

function config(temporal: string, host1Extra = '') {
  const file = join(dir, `c${Math.random()}.yaml`);
  writeFileSync(
    file,
    `temporal:
${temporal}
hosts:
  - name: backup1
    backy2_config: b1.cfg
    state_dir: s1
${host1Extra}
  - name: backup2
    backy2_config: b2.cfg
    state_dir: s2
workloads:
  vms: {pool: rbd}
`,
  );
  return file;
}

function refusal(file: string): string {
  assert.throws(() => loadConfig(file), ConfigError);
  try {
    loadConfig(file);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

const TLS = `  address: temporal.example.org:7233
  tls:
    ca: ca.pem
    cert: cli.pem
    key: cli.key
    server_name: temporal`;

test('each worker shows its own certificate; the CLI and hosts without one show temporal.tls.cert', () => {
  const c = loadConfig(config(TLS, '    temporal_tls: {cert: backup1.pem, key: backup1.key}'));
  assert.equal(c.hosts[0]!.temporal_tls?.cert, join(dir, 'backup1.pem'), 'paths are relative to the config file');
  const own = tlsOptions(c.temporal, c.hosts[0]);
  const shared = tlsOptions(c.temporal, c.hosts[1]);
  const cli = tlsOptions(c.temporal);
  assert.equal(own?.serverNameOverride, 'temporal');
  assert.ok(own?.serverRootCACertificate);
  assert.equal(own?.clientCertPair?.crt.toString(), pem('CERTIFICATE'));
  assert.equal(own?.clientCertPair?.key.toString(), pem('PRIVATE KEY'));
  assert.deepEqual(shared?.clientCertPair, cli?.clientCertPair);
  assert.equal(tlsOptions(loadConfig(config('  address: 127.0.0.1:7233')).temporal), undefined, 'no tls: plain TCP');
});

test('cert without key, a server name that is not a name, a host certificate without TLS: refused, naming the key', () => {
  assert.match(refusal(config('  tls: {cert: cli.pem}')), /cert and key go together[\s\S]*temporal\.tls\.key/);
  assert.match(refusal(config('  tls: {ca: ca.pem, server_name: "https://temporal:7233"}')), /a DNS name[\s\S]*temporal\.tls\.server_name/);
  assert.match(refusal(config('  address: 127.0.0.1:7233', '    temporal_tls: {cert: backup1.pem, key: backup1.key}')), /needs TLS: set temporal\.tls[\s\S]*hosts\[0\]\.temporal_tls/);
  assert.match(refusal(config(TLS, '    temporal_tls: {cert: backup1.pem}')), /hosts\[0\]\.temporal_tls\.key/);
});

test('a certificate file that cannot be read, or is not PEM, is a ConfigError naming the key, the file and what to do', () => {
  const missing = loadConfig(config(TLS, '    temporal_tls: {cert: gone.pem, key: backup1.key}'));
  assert.throws(
    () => tlsOptions(missing.temporal, missing.hosts[0]),
    (err: unknown) => err instanceof ConfigError && /^hosts\[backup1\]\.temporal_tls\.cert: cannot read .*gone\.pem/.test(err.message) && /certs\.sh/.test(err.hint ?? ''),
  );
  const der = loadConfig(config(TLS.replace('ca: ca.pem', 'ca: der.pem')));
  assert.throws(() => tlsOptions(der.temporal), (err: unknown) => err instanceof ConfigError && /^temporal\.tls\.ca: .*der\.pem is not a PEM file/.test(err.message));
});
