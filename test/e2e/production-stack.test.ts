// Temporal as operators run it (scripts/production/stack.sh): the Temporal
// server on PostgreSQL with mTLS on the frontend, the search attributes in SQL
// visibility, the Web UI server as one more mTLS client. Two backup hosts'
// workers, each with its own client certificate, back up, run a night and
// restore on the real Ceph and backy2 of the local stack; clients without a
// certificate of our CA, or checking the wrong server name, are refused.
// The stack is brought up when it is not running (and then stopped again).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { loadConfig } from '../../lib/config/load.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import type { RestoreResult } from '../../lib/operations/restore.ts';
import { tlsOptions } from '../../lib/temporal/connection.ts';
import { hostsWithWorkers } from '../../lib/temporal/pollers.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { changeBlocks, createDisk, imageHash, MiB, removeDisk } from '../support/disks.ts';
import { productionStack, type ProductionStack } from '../support/production-stack.ts';
import { CONFIG_FILE, POOL, rbd, ROOT, uniqueVmId, versionRows } from '../support/stack.ts';
import { findWorkflows } from '../support/temporal.ts';

const SIZE = 16 * MiB;
const HOSTS = ['backup1', 'backup2'] as const;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-production-'));
const run = uniqueVmId('prod');
/** One VM per host: project p-one goes to backup1, p-two to backup2. */
const VMS = { backup1: `${run}-one`, backup2: `${run}-two` } as const;
const imageOf = (vm: string) => `${vm}_disk`;

let stack: ProductionStack;
let configFile: string;
let workers: WorkerProcess[] = [];
let client: Client;

/** The test's config: the local stack's (own task queue) pointed at the production frontend with mTLS. */
function writeConfig(file: string, hostCert: (host: string) => { cert: string; key: string }): void {
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as { temporal: Record<string, unknown>; hosts: Array<Record<string, unknown>> };
  const inventory = join(tmp, 'inventory.yaml');
  writeFileSync(inventory, yaml.dump({ vms: { [VMS.backup1]: { name: 'one', project: 'p-one', status: 'ACTIVE' }, [VMS.backup2]: { name: 'two', project: 'p-two', status: 'ACTIVE' } }, volumes: {}, images: {} }));
  writeFileSync(
    file,
    yaml.dump({
      ...base,
      temporal: {
        ...base.temporal,
        address: stack.address,
        web_ui: stack.webUi,
        tls: { ca: `${stack.tlsDir}/ca.pem`, cert: `${stack.tlsDir}/client-cli.pem`, key: `${stack.tlsDir}/client-cli.key`, server_name: stack.serverName },
      },
      hosts: base.hosts.map((h) => ({ ...h, temporal_tls: hostCert(String(h.name)) })),
      inventory: { driver: 'local', file: inventory },
      project_assignments: { projects: { 'p-one': 'backup1', 'p-two': 'backup2' } },
    }),
  );
}

const ownCert = (host: string) => ({ cert: `${stack.tlsDir}/client-${host}.pem`, key: `${stack.tlsDir}/client-${host}.key` });

const cliJson = async <T>(...args: string[]): Promise<T> => {
  const r = await vmbackupWith(configFile, '-o', 'json', ...args);
  assert.equal(r.exitCode, 0, `vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** Connects with `tls` and asks the server for its system info; the error when refused. */
async function refusal(tls: TLSConfig | undefined): Promise<Error | undefined> {
  try {
    const connection = await Connection.connect({ address: stack.address, tls, connectTimeout: '3s' });
    await connection.close();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

before(
  async () => {
    stack = await productionStack();
    configFile = join(tmp, 'config.yaml');
    writeConfig(configFile, ownCert);
    await Promise.all(Object.values(VMS).map((vm) => createDisk(vm, SIZE, SIZE / 2)));
    workers = await Promise.all(HOSTS.map((h) => startWorker(h, configFile)));
    const config = loadConfig(configFile);
    client = new Client({ connection: await Connection.connect({ address: config.temporal.address, tls: tlsOptions(config.temporal) }), namespace: config.temporal.namespace });
  },
  // A fresh machine builds the Temporal server first (minutes with the Go module cache warm).
  { timeout: 900_000 },
);

after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await client?.connection.close();
  // The disks, and what a restore moved aside (`<image>.vmbackup-aside-…`).
  for (const image of (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(`${run}-`))) await removeDisk(image).catch(() => undefined);
  await stack?.release();
  rmSync(tmp, { recursive: true, force: true });
});

test('two backup hosts, each with its own client certificate, back up, run a night and restore through mTLS; search attributes and the Web UI work on PostgreSQL', { timeout: 600_000 }, async () => {
  const config = loadConfig(configFile);
  // Both workers got in with their own certificates and poll their host queues.
  const polling = await hostsWithWorkers(client, config.temporal.namespace, config.temporal.task_queue, HOSTS);
  assert.deepEqual([...polling].sort(), [...HOSTS]);

  for (const host of HOSTS) {
    const r = await cliJson<BackupResult>('backup', VMS[host], '--host', host, '--project', host === 'backup1' ? 'p-one' : 'p-two', '--wait');
    assert.equal(r.host, host);
    assert.equal(r.plan.kind, 'full');
    await changeBlocks(imageOf(VMS[host]), SIZE, 3);
  }

  // A night on each host, started as the Schedules would, each on its own worker.
  const nights = await Promise.all(HOSTS.map((host) => cliJson<Array<{ workflowId: string }>>('run-nightly', '--host', host)));
  const summaries = await Promise.all(nights.map(([n]) => client.workflow.getHandle(n!.workflowId).result() as Promise<NightlySummary>));
  HOSTS.forEach((host, i) => {
    const s = summaries[i]!;
    assert.deepEqual(s.backedUp.map((d) => [d.id, d.kind]), [[VMS[host], 'incremental']], `${host}'s night backs up its own VM`);
    assert.equal(s.counts.failed, 0);
  });

  // backup2's VM back to the night's version, byte-identical to its snapshot.
  const nightVersion = summaries[1]!.backedUp[0]!.versionUid!;
  const row = (await versionRows('backup2', imageOf(VMS.backup2))).find((v) => v.uid === nightVersion);
  assert.ok(row, `version ${nightVersion} is in backup2's store`);
  const wanted = await imageHash(`${imageOf(VMS.backup2)}@${row.snapshot}`);
  await changeBlocks(imageOf(VMS.backup2), SIZE, 2);
  assert.notEqual(await imageHash(imageOf(VMS.backup2)), wanted);
  const restored = await cliJson<RestoreResult>('restore', VMS.backup2, '--version', nightVersion, '--yes');
  assert.equal(restored.host, 'backup2');
  assert.equal(await imageHash(imageOf(VMS.backup2)), wanted, 'the restored disk is byte-identical to the night’s snapshot');

  // SQL visibility filters by our search attributes: the CLI's backup and the night's of that VM, and its restore.
  const backups = `VmId = "${VMS.backup2}" AND BackupHost = "backup2" AND Operation = "backup"`;
  assert.deepEqual((await findWorkflows(client, backups, 2)).map((w) => w.workflowId.split('/')[0]).sort(), ['backup', 'nightly']);
  assert.equal((await findWorkflows(client, `VmId = "${VMS.backup2}" AND Operation = "restore"`)).length, 1);
  // The Web UI server answers the same query, through its own mTLS connection to the frontend.
  const res = await fetch(`${stack.webUi}/api/v1/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(backups)}`);
  assert.equal(res.status, 200);
  const listed = (await res.json()) as { executions?: Array<{ execution: { workflowId: string } }> };
  assert.equal(listed.executions?.length, 2, 'the Web UI lists them too');
  // The auditors' UI reads the same, and offers no write action.
  const audit = await fetch(`${stack.auditorsUi}/api/v1/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(backups)}`);
  assert.equal(((await audit.json()) as { executions?: unknown[] }).executions?.length, 2);
  const settings = (await (await fetch(`${stack.auditorsUi}/api/v1/settings`)).json()) as { DisableWriteActions: boolean };
  assert.equal(settings.DisableWriteActions, true);
});

test('only clients with a certificate of our CA get in, and only when they verify the server by its name', { timeout: 180_000 }, async () => {
  const ca = readFileSync(`${stack.tlsDir}/ca.pem`);
  const cli = { crt: readFileSync(`${stack.tlsDir}/client-cli.pem`), key: readFileSync(`${stack.tlsDir}/client-cli.key`) };
  // The positive control: the CLI's certificate, the name in the server certificate, or its IP address.
  assert.equal(await refusal({ serverRootCACertificate: ca, serverNameOverride: stack.serverName, clientCertPair: cli }), undefined);
  assert.equal(await refusal({ serverRootCACertificate: ca, clientCertPair: cli }), undefined, '127.0.0.1 is in the server certificate');

  assert.ok(await refusal(undefined), 'plain TCP is refused');
  assert.ok(await refusal({ serverRootCACertificate: ca, serverNameOverride: stack.serverName }), 'TLS without a client certificate is refused');
  const wrongName = await refusal({ serverRootCACertificate: ca, serverNameOverride: 'not-temporal', clientCertPair: cli });
  assert.ok(wrongName, 'a client expecting another server name refuses the server');

  // A certificate from another CA (the same names): refused, for the SDK and for a whole worker.
  const other = join(tmp, 'other-ca');
  await execa('bash', [`${ROOT}scripts/production/certs.sh`, other, stack.serverName, 'backup1']);
  const foreign = { crt: readFileSync(`${other}/client-backup1.pem`), key: readFileSync(`${other}/client-backup1.key`) };
  assert.ok(await refusal({ serverRootCACertificate: ca, serverNameOverride: stack.serverName, clientCertPair: foreign }), "another CA's certificate is refused");

  const foreignConfig = join(tmp, 'foreign.yaml');
  writeConfig(foreignConfig, (host) => (host === 'backup1' ? { cert: `${other}/client-backup1.pem`, key: `${other}/client-backup1.key` } : ownCert(host)));
  await assert.rejects(startWorker('backup1', foreignConfig), /exited at start/, "a worker with another CA's certificate never polls");

  // The CLI without its certificate: refused, and it says where it tried.
  const noCert = yaml.load(readFileSync(configFile, 'utf8')) as { temporal: { tls: Record<string, unknown> } };
  delete noCert.temporal.tls.cert;
  delete noCert.temporal.tls.key;
  const noCertFile = join(tmp, 'no-cert.yaml');
  writeFileSync(noCertFile, yaml.dump(noCert));
  const r = await vmbackupWith(noCertFile, 'status');
  assert.notEqual(r.exitCode, 0, r.stdout);
  assert.match(r.stderr, new RegExp(stack.address.replaceAll('.', '\\.')), r.stderr);
  assert.match(r.stderr, /With mTLS, the server also refuses a client whose certificate its CA did not sign/);
});
