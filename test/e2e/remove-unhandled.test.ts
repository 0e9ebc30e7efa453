// `vmbackup remove-unhandled` and `vmbackup where` on the real stack, with the
// `local` inventory (the real Ceph pool and a YAML file): three disks backed up
// on backup1, then one deleted from the pool and one moved to a project that
// backup2 backs up. The dry run lists exactly those two and removes nothing;
// --yes removes exactly them; an unreadable inventory removes nothing at all.
//
// Both hosts get private backy2 stores (the stack's configs with the folder
// swapped), so the versions judged are this file's alone: other tests' disks,
// long deleted, have versions in the stack's stores that are not ours to remove.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { readLastInventory, writeLastInventory } from '../../activities/inventory/last-inventory-file.ts';
import type { RemoveUnhandledResult } from '../../lib/operations/remove-unhandled.ts';
import type { HostBackups } from '../../lib/fleet/where.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { config, CONFIG_FILE, ROOT, uniqueVmId } from '../support/stack.ts';
import { makePrivateStore } from '../support/private-store.ts';

const DIR = `${ROOT}.stack/test/remove-unhandled-${process.pid}`;
const CONFIG = join(DIR, 'config.yaml');
const INVENTORY = join(DIR, 'inventory.yaml');
const HOSTS = ['backup1', 'backup2'] as const;
const storeCfg = (host: string) => join(DIR, host, 'backy.cfg');

const run = uniqueVmId('ru');
const P_ONE = `${run}-one`; // backup1, by the default rule
const P_TWO = `${run}-two`; // backup2, listed
const disks = { keep: `${run}-keep`, move: `${run}-move`, gone: `${run}-gone` };
const image = (id: string) => `${id}_disk`;
let workers: WorkerProcess[] = [];

type Report = { dryRun: boolean; plan?: string; hosts: RemoveUnhandledResult[]; errors: Array<{ host: string; error: string }> };
type Where = {
  assignment: { kind: string; host?: string; rule?: string; text: string };
  disks: Array<{ id: string; name: string; assignedTo?: string; excluded?: string; backups: HostBackups[] }>;
  errors: unknown[];
};

const cli = (...args: string[]) => vmbackupWith(CONFIG, ...args);
async function json<T>(...args: string[]): Promise<T> {
  const r = await cli('-o', 'json', ...args);
  assert.equal(r.exitCode, 0, `vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function writeInventory(projects: Record<keyof typeof disks, string>): void {
  const vms = Object.fromEntries(Object.entries(disks).map(([key, id]) => [id, { name: `ru-${key}`, project: projects[key as keyof typeof disks] }]));
  writeFileSync(INVENTORY, yaml.dump({ vms }));
}

/** The version uids of a private store, by the real backy2, by disk. */
async function storeVersions(host: string): Promise<Record<string, string[]>> {
  const { stdout } = await execa(config.engine.bin, ['-m', '-c', storeCfg(host), 'ls']);
  const byDisk: Record<string, string[]> = {};
  for (const line of stdout.split('\n')) {
    const uid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(line)?.[0];
    const disk = Object.values(disks).map(image).find((d) => line.includes(`|${d}|`));
    if (uid && disk) (byDisk[disk] ??= []).push(uid);
  }
  for (const uids of Object.values(byDisk)) uids.sort();
  return byDisk;
}

const backup = async (id: string, host: string, ...extra: string[]) =>
  (await json<{ versionUid: string }>('backup', id, '--host', host, '--project', P_ONE, '--wait', ...extra)).versionUid;

before(async () => {
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  const hosts = [];
  for (const host of HOSTS) {
    for (const sub of ['lock', 'data', 'nbd-cache', 'state']) mkdirSync(join(DIR, host, sub), { recursive: true });
    await makePrivateStore(join(DIR, host));
    hosts.push({ name: host, backy2_config: storeCfg(host), state_dir: join(DIR, host, 'state') });
  }
  writeFileSync(
    CONFIG,
    yaml.dump({
      ...base,
      hosts,
      // Every test file adds and removes disks in the stack's pool, so a shrink of its inventory means nothing
      // here: the guard is off (remove-unhandled-guard.test.ts tests it on a pool of its own).
      inventory: { driver: 'local', file: INVENTORY, max_vanished_share: 1 },
      project_assignments: { default: 'backup1', projects: { [P_TWO]: 'backup2' } },
      exclude: { servers: { global: [], projects: { [P_ONE]: ['ru-k.*'] } } },
    }),
  );
  writeInventory({ keep: P_ONE, move: P_ONE, gone: P_ONE });
  for (const id of Object.values(disks)) await createDisk(id, 4 * MiB);
  workers = await Promise.all(HOSTS.map((h) => startWorker(h, CONFIG)));
});

after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const id of Object.values(disks)) await removeDisk(image(id));
  rmSync(DIR, { recursive: true, force: true });
});

test('remove-unhandled removes exactly the deleted and the moved disk’s backups, after a dry run that removed nothing', { timeout: 600_000 }, async () => {
  const keep = await backup(disks.keep, 'backup1');
  const move1 = await backup(disks.move, 'backup1');
  // The moved disk's last valid version on backup1 stays (it is named to go only with --disk --include-last).
  const move1b = await backup(disks.move, 'backup1', '--again');
  const gone = [await backup(disks.gone, 'backup1'), await backup(disks.gone, 'backup1', '--again')].sort();
  // The moved VM's new host has backed it up once since (--again: the day's backup of that VM ran on backup1).
  const move2 = await backup(disks.move, 'backup2', '--again');
  const before1 = await storeVersions('backup1');
  assert.deepEqual(before1, { [image(disks.keep)]: [keep], [image(disks.move)]: [move1, move1b].sort(), [image(disks.gone)]: gone });

  // `where` before the clean-up: the project's host and rule, and both hosts holding the moved VM.
  const one = await json<Where>('where', P_ONE);
  assert.deepEqual(one.assignment, { kind: 'host', host: 'backup1', rule: 'project_assignments.default', text: 'backup1 (project_assignments.default)' });
  assert.deepEqual(one.disks.map((d) => d.name), ['ru-gone', 'ru-keep', 'ru-move']);
  assert.ok(one.disks.every((d) => d.assignedTo === 'backup1'));
  assert.equal(one.disks.find((d) => d.name === 'ru-keep')!.excluded, `exclude.servers.projects.${P_ONE} /ru-k.*/`);

  // The VM is deleted (its disk gone from the pool), the other moves to a project backup2 backs up.
  await removeDisk(image(disks.gone));
  writeInventory({ keep: P_ONE, move: P_TWO, gone: P_ONE });
  const moved = await json<Where>('where', P_TWO, '--vm', 'ru-move');
  assert.equal(moved.assignment.text, `backup2 (project_assignments.projects.${P_TWO})`);
  assert.deepEqual(moved.disks.map((d) => [d.id, d.assignedTo]), [[disks.move, 'backup2']]);
  assert.deepEqual(moved.disks[0]!.backups.map((b) => [b.host, b.versions]), [['backup1', 2], ['backup2', 1]]);
  const table = await cli('where', P_TWO, '--vm', disks.move);
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, /backed up on\s+backup2 \(project_assignments\.projects\./);
  assert.match(table.stdout, /BACKUPS OF .*\n.*backup1\s+2\s+0\s+\d{4}-.*\n.*backup2\s+1\s+0/);
  assert.equal((await cli('where', P_TWO, '--vm', 'ru-nope')).exitCode, 3, 'a VM not in the project: exit 3');

  // Neither flag: refused, nothing started.
  const bare = await cli('remove-unhandled', '--host', 'backup1');
  assert.equal(bare.exitCode, 2);
  assert.match(bare.stderr, /needs --dry-run or --yes[\s\S]*hint: Run it with --dry-run first/);

  // A deleted disk's backups stay for live_for_days after it was first seen missing: this first dry run keeps
  // them (and records when); once that time is backdated past, they are planned like the moved disk's.
  const early = await json<Report>('remove-unhandled', '--host', 'backup1', '--dry-run');
  assert.deepEqual(early.hosts[0]!.kept.map((k) => [k.disk, k.code]), [[image(disks.gone), 'recently-deleted']]);
  const state = join(DIR, 'backup1', 'state');
  const reference = readLastInventory(state, 'vms')!;
  const missing = Date.parse(reference.missingSince[disks.gone]!) - (config.workloads.vms.live_for_days + 1) * 86_400_000;
  writeLastInventory(state, { ...reference, missingSince: { ...reference.missingSince, [disks.gone]: new Date(missing).toISOString() } });

  const plan = await json<Report>('remove-unhandled', '--host', 'backup1', '--dry-run');
  assert.deepEqual(plan.errors, []);
  const planned = plan.hosts[0]!;
  assert.deepEqual(
    planned.disks.map((d) => [d.disk, d.code, d.versions.map((v) => v.uid).sort(), d.bytes]),
    [
      [image(disks.gone), 'deleted', gone, 8 * MiB],
      [image(disks.move), 'moved', [move1], 4 * MiB],
    ],
  );
  assert.match(planned.disks[1]!.reason, new RegExp(`project ${P_TWO} is backed up on backup2`));
  assert.equal(planned.disks[1]!.lastValidKept, move1b, "the moved disk's last valid version is kept");
  assert.deepEqual(planned.kept, []);
  assert.deepEqual(await storeVersions('backup1'), before1, 'a dry run removes nothing');
  const text = await cli('remove-unhandled', '--host', 'backup1', '--dry-run');
  assert.match(text.stdout, new RegExp(`${image(disks.gone)}\\s+VM ${disks.gone} is not in the inventory.*\\s2\\s+8\\.00 MiB\\s+would remove`));

  // An inventory that cannot be read aborts the run before anything goes.
  const good = readFileSync(INVENTORY, 'utf8');
  writeFileSync(INVENTORY, 'vms: {bad id!: {}}\n');
  const broken = await cli('-o', 'json', 'remove-unhandled', '--host', 'backup1', '--yes', '--plan', plan.plan!);
  writeFileSync(INVENTORY, good);
  assert.equal(broken.exitCode, 1);
  assert.match(broken.stderr, /backup1: nothing was removed: .*invalid inventory file/);
  assert.deepEqual(await storeVersions('backup1'), before1, 'an inventory error removes nothing');

  const done = await json<Report>('remove-unhandled', '--host', 'backup1', '--yes', '--plan', plan.plan!);
  assert.deepEqual(
    done.hosts[0]!.disks.map((d) => [d.disk, d.removed.sort()]),
    [
      [image(disks.gone), gone],
      [image(disks.move), [move1]],
    ],
  );
  assert.deepEqual(await storeVersions('backup1'), { [image(disks.keep)]: [keep], [image(disks.move)]: [move1b] }, 'exactly the unhandled versions went');
  assert.deepEqual(await storeVersions('backup2'), { [image(disks.move)]: [move2] }, "backup2's store is untouched");
  const ls = await json<{ versions: Array<{ uid: string; host: string }> }>('ls', disks.move);
  assert.deepEqual(ls.versions.map((v) => [v.host, v.uid]).sort(), [['backup1', move1b], ['backup2', move2]]);

  // backup2 handles the moved disk now: nothing of its store is unhandled.
  const other = await json<Report>('remove-unhandled', '--host', 'backup2', '--dry-run');
  assert.deepEqual(other.hosts[0]!.disks, []);
});
