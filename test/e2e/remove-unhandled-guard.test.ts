// What keeps `vmbackup remove-unhandled` from taking backups on the word of a
// bad inventory, on the real stack with the `local` inventory: an inventory that
// lost more than inventory.max_vanished_share of the disks the host's last one
// listed is refused, every run, until an operator accepts it; a deleted disk's
// backups stay for its workload's live_for_days after it was first seen missing.
//
// The pool is this file's own (a shrink is a share of every disk in it, and
// other test files add and remove disks in the stack's pools), and so are the
// backy2 store and the host's state_dir.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { lastInventoryFile, readLastInventory, writeLastInventory } from '../../activities/inventory/last-inventory-file.ts';
import type { RemoveUnhandledResult } from '../../lib/operations/remove-unhandled.ts';
import { RbdData } from '../../scripts/support/rbd-data.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { CEPH_CONF, config, CONFIG_FILE, ROOT, uniqueVmId } from '../support/stack.ts';
import { makePrivateStore } from '../support/private-store.ts';

const DIR = `${ROOT}.stack/test/remove-unhandled-guard-${process.pid}`;
const CONFIG = join(DIR, 'config.yaml');
const INVENTORY = join(DIR, 'inventory.yaml');
const STATE = join(DIR, 'backup1', 'state');
const STORE_CFG = join(DIR, 'backup1', 'backy.cfg');
const POOL = `ru-guard-${process.pid}`;
const pool = new RbdData(CEPH_CONF, POOL);
const ceph = (...args: string[]) => execa('ceph', ['--conf', CEPH_CONF, ...args]);

const run = uniqueVmId('rg');
const PROJECT = `${run}-p`;
/** Ten VMs; the first is backed up, and it and two others are then deleted: 30 % of the inventory. */
const vms = Array.from({ length: 10 }, (_, i) => `${run}-${i}`);
const [backedUp] = vms as [string];
const deleted = vms.slice(0, 3);
const image = (id: string) => `${id}_disk`;
let worker: WorkerProcess | undefined;

type Report = { dryRun: boolean; plan?: string; hosts: RemoveUnhandledResult[]; errors: Array<{ host: string; error: string }> };
const cli = (...args: string[]) => vmbackupWith(CONFIG, '-o', 'json', ...args);
async function json<T>(...args: string[]): Promise<T> {
  const r = await cli(...args);
  assert.equal(r.exitCode, 0, `vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
const dryRun = () => cli('remove-unhandled', '--host', 'backup1', '--dry-run');

/** Version uids of the private store, by the real backy2. */
async function storeVersions(): Promise<string[]> {
  const { stdout } = await execa(config.engine.bin, ['-m', '-c', STORE_CFG, 'ls']);
  return [...stdout.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map((m) => m[0]).sort();
}

before(async () => {
  await ceph('osd', 'pool', 'create', POOL, '8', '8');
  await pool.rbd('pool', 'init', POOL);
  for (const sub of ['lock', 'data', 'nbd-cache', 'state']) mkdirSync(join(DIR, 'backup1', sub), { recursive: true });
  await makePrivateStore(join(DIR, 'backup1'));
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown> & { workloads: Record<string, unknown> };
  writeFileSync(
    CONFIG,
    yaml.dump({
      ...base,
      hosts: [{ name: 'backup1', backy2_config: STORE_CFG, state_dir: STATE }],
      inventory: { driver: 'local', file: INVENTORY },
      project_assignments: { default: 'backup1' },
      workloads: { ...base.workloads, vms: { pool: POOL, live_for_days: 8 } },
    }),
  );
  writeFileSync(INVENTORY, yaml.dump({ vms: Object.fromEntries(vms.map((id, i) => [id, { name: `rg-${i}`, project: PROJECT }])) }));
  await pool.createRandom(image(backedUp), 4 * 1024 * 1024);
  for (const id of vms.slice(1)) await pool.rbd('create', '--size', '1M', `${POOL}/${image(id)}`);
  worker = await startWorker('backup1', CONFIG);
});

after(async () => {
  await worker?.stop();
  await ceph('osd', 'pool', 'rm', POOL, POOL, '--yes-i-really-really-mean-it').catch(() => undefined);
  rmSync(DIR, { recursive: true, force: true });
});

test('an inventory that lost 30 % of the disks removes nothing until accepted; a deleted disk’s backups stay live_for_days after it went', { timeout: 600_000 }, async () => {
  const { versionUid } = await json<{ versionUid: string }>('backup', backedUp, '--host', 'backup1', '--project', PROJECT, '--wait');
  const first = await json<Report>('remove-unhandled', '--host', 'backup1', '--dry-run');
  assert.deepEqual(first.hosts[0]!.disks, []);
  const reference = readLastInventory(STATE, 'vms');
  assert.deepEqual(reference?.ids.sort(), [...vms].sort(), 'the host remembers the inventory it saw');

  for (const id of deleted) await pool.remove(image(id));
  const file = lastInventoryFile(STATE, 'vms');
  const expected = `the vms inventory (local driver) lists 7 disks; 3 of the 10 listed by the last inventory (${reference!.takenAt}) are gone, 30.0 %, more than inventory.max_vanished_share (10.0 %)`;
  for (const attempt of [
    () => dryRun(),
    // --yes with the plan of a dry run made before the shrink: refused the same way.
    () => cli('remove-unhandled', '--host', 'backup1', '--yes', '--plan', first.plan!),
    // A night's inventory in between (`where` takes one on the host) does not make the shrink the reference.
    async () => (await json<unknown>('where', PROJECT), dryRun()),
  ]) {
    const refused = await attempt();
    assert.equal(refused.exitCode, 1, refused.stdout);
    assert.ok(refused.stderr.includes(`backup1: nothing was removed: ${expected}`), refused.stderr);
    assert.ok(refused.stderr.includes(`accept this inventory: remove ${file} on backup1`), refused.stderr);
    assert.deepEqual(await storeVersions(), [versionUid], 'nothing removed');
    assert.equal(readLastInventory(STATE, 'vms')?.takenAt, reference!.takenAt, 'the reference stays the inventory before the shrink');
  }

  // The operator accepts the shrink as the hint says. The deleted disk's backups stay: its grace starts now.
  rmSync(file);
  const accepted = await json<Report>('remove-unhandled', '--host', 'backup1', '--dry-run');
  assert.deepEqual(accepted.hosts[0]!.disks, []);
  assert.deepEqual(accepted.hosts[0]!.kept.map((k) => [k.disk, k.code, k.versions]), [[image(backedUp), 'recently-deleted', 1]]);
  const recorded = readLastInventory(STATE, 'vms')!;
  assert.deepEqual(Object.keys(recorded.missingSince), [backedUp], 'only the disk with backups was seen missing (the reference that listed the others was removed)');
  const since = recorded.missingSince[backedUp]!;
  const until = new Date(Date.parse(since) + 8 * 86_400_000).toISOString();
  assert.match(accepted.hosts[0]!.kept[0]!.reason, new RegExp(`since ${since}; its backups stay until ${until} \\(workloads\\.vms\\.live_for_days = 8\\), so it can still be rescued`));
  assert.deepEqual(await storeVersions(), [versionUid]);

  // Nine days later (the time it went missing backdated): its backups go.
  writeLastInventory(STATE, { ...recorded, missingSince: { [backedUp]: new Date(Date.parse(since) - 9 * 86_400_000).toISOString() } });
  const due = await json<Report>('remove-unhandled', '--host', 'backup1', '--dry-run');
  assert.deepEqual(due.hosts[0]!.disks.map((d) => [d.disk, d.code, d.versions.map((v) => v.uid)]), [[image(backedUp), 'deleted', [versionUid]]]);
  const done = await json<Report>('remove-unhandled', '--host', 'backup1', '--yes', '--plan', due.plan!);
  assert.deepEqual(done.hosts[0]!.disks.map((d) => d.removed), [[versionUid]]);
  assert.deepEqual(await storeVersions(), []);
  assert.ok(existsSync(file));
});
