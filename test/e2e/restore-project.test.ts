// Mass restore of a project of 5 VMs, one of which cannot be restored (a block
// of its version is lost from the store): the other 4 are restored and verified,
// and the summary names the failure. OpenStack is faked at its HTTP boundary
// (test/support/fake-openstack.ts); the `openstack` CLI, Temporal, Ceph and
// backy2 are real.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { sqliteMetaPath } from '../../activities/engine/backy2-sqlite-meta.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { RestoreProjectResult } from '../../lib/operations/restore-project.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { changeBlocks, createDisk, exportToFile, MiB, removeDisk } from '../support/disks.ts';
import { fakeServer, type FakeOpenstack } from '../support/fake-openstack.ts';
import { withFakeOpenstack } from '../support/openstack-stack.ts';
import { config, POOL, rbd, sha256File, uniqueVmId } from '../support/stack.ts';

const SIZE = 64 * MiB;
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-mass-'));
const vms = Array.from({ length: 5 }, (_, i) => uniqueVmId(`mass${i}`));
const outsider = uniqueVmId('outsider');
let fake: FakeOpenstack;
let configFile: string;
let workers: WorkerProcess[] = [];


before(async () => {
  ({ fake, configFile } = await withFakeOpenstack(tmp, {
    servers: [...vms.map((id, i) => fakeServer({ id, name: `app-${i}`, projectId: 'p-demo' })), fakeServer({ id: outsider, name: 'other' })],
  }));
  fake.powerDelayMs = 300;
  workers = await Promise.all(config.hosts.map((h) => startWorker(h.name, configFile)));
});

after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await fake?.stop();
  const all = (await rbd('ls', POOL)).split('\n');
  for (const i of all.filter((n) => vms.some((vm) => n.startsWith(`${vm}_disk`)))) await removeDisk(i);
  rmSync(tmp, { recursive: true, force: true });
});

async function cli<T>(...args: string[]): Promise<{ code: number; body: T; stderr: string }> {
  const r = await vmbackupWith(configFile, '-o', 'json', ...args);
  return { code: r.exitCode, body: (r.stdout ? JSON.parse(r.stdout) : undefined) as T, stderr: r.stderr };
}

async function hashOf(spec: string): Promise<string> {
  const file = join(tmp, `${spec.replace(/[/@:]/g, '_')}.img`);
  await exportToFile(spec, file);
  const h = await sha256File(file);
  rmSync(file);
  return h;
}

test('restore --project: 4 of 5 VMs restored and verified, the failure named, other projects untouched', { timeout: 600_000 }, async () => {
  const first = new Map<string, { result: BackupResult; hash: string }>();
  for (const [i, vm] of vms.entries()) {
    await createDisk(vm, SIZE, SIZE / 2);
    const host = config.hosts[i % config.hosts.length]!.name; // versions on both backup hosts
    const { code, body, stderr } = await cli<BackupResult>('backup', vm, '--wait', '--host', host);
    assert.equal(code, 0, stderr);
    first.set(vm, { result: body, hash: await hashOf(`${vm}_disk@${body.plan.snapshot}`) });
  }
  await sleep(1100);
  const at = new Date().toISOString();
  await sleep(1100);
  const current = new Map<string, string>();
  for (const [i, vm] of vms.entries()) {
    await changeBlocks(`${vm}_disk`, SIZE, 2);
    const { code, stderr } = await cli<BackupResult>('backup', vm, '--wait', '--again', '--host', config.hosts[i % config.hosts.length]!.name);
    assert.equal(code, 0, stderr);
    current.set(vm, await hashOf(`${vm}_disk`));
  }

  // Lose one block of the broken VM's chosen version from its store.
  const broken = vms[2]!;
  const brokenHost = config.hosts.find((h) => h.name === first.get(broken)!.result.host)!;
  const db = sqliteMetaPath(brokenHost.backy2_config)!;
  const { stdout: blob } = await execa('sqlite3', [db, `SELECT uid FROM blocks WHERE version_uid = '${first.get(broken)!.result.versionUid}' AND uid IS NOT NULL LIMIT 1`]);
  const { stdout: file } = await execa('find', [join(db, '..', 'data'), '-name', `${blob.trim()}*`]);
  rmSync(file.trim());

  const plan = await cli<RestoreProjectResult>('restore', '--project', 'p-demo', '--at', at, '--dry-run');
  assert.equal(plan.code, 0, plan.stderr);
  assert.deepEqual(plan.body.planned.map((p) => [p.vmId, p.versionUid]).sort(), vms.map((vm) => [vm, first.get(vm)!.result.versionUid]).sort(), 'each VM gets its version from before --at');

  fake.calls.length = 0;
  const r = await cli<RestoreProjectResult>('restore', '--project', 'p-demo', '--at', at, '--yes', '--parallel', '2');
  assert.equal(r.code, 1, 'a failed VM makes the exit code 1');
  assert.deepEqual(r.body.restored.map((x) => x.vmId).sort(), vms.filter((vm) => vm !== broken).sort());
  assert.deepEqual(r.body.failed.map((x) => x.vmId), [broken]);
  assert.match(r.body.failed[0]!.error, /backy2|restore|failed/i);

  for (const vm of vms) {
    const expected = vm === broken ? current.get(vm) : first.get(vm)!.hash;
    assert.equal(await hashOf(`${vm}_disk`), expected, vm === broken ? `${vm}: original back, unchanged` : `${vm}: byte-identical to its version`);
    assert.equal(fake.servers.get(vm)!.status, 'ACTIVE', `${vm} runs again`);
  }
  assert.ok(!fake.calls.some((c) => c.path.includes(outsider) && c.method === 'POST'), 'the other project’s VM was never stopped');
});
