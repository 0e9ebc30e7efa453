// `vmbackup plan` on the real stack: two real nights of a few small disks on
// two hosts (each with a store of its own, so the stats are this test's), then
// the plan predicts each host's next night from them; given a config that puts
// every project on one host, it proposes moving a project to the other, as a
// snippet, and changes nothing.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import type { FleetPlan } from '../../lib/forecast/fleet-plan.ts';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { changeBlocks, createDisk, MiB, removeDisk } from '../support/disks.ts';
import { makePrivateStore } from '../support/private-store.ts';
import { CONFIG_FILE, ROOT, uniqueVmId } from '../support/stack.ts';

const DIR = `${ROOT}.stack/test/plan-${process.pid}`;
const CONFIG = join(DIR, 'config.yaml');
/** The same, with every project on backup1. */
const ONE_HOST = join(DIR, 'one-host.yaml');
const INVENTORY = join(DIR, 'inventory.yaml');
const HOSTS = ['backup1', 'backup2'];
const run = uniqueVmId('pl');
const PROJECTS = [`${run}-pa`, `${run}-pb`, `${run}-pc`];
/** Six disks: two projects on backup1, one on backup2. 32 MiB, not smaller (backy2's sanity check samples 5 blocks). */
const DISKS = Array.from({ length: 6 }, (_, i) => ({ id: `${run}-${i}`, project: PROJECTS[i % 3]! }));
const SIZE = 32 * MiB;
let workers: WorkerProcess[] = [];

type PlanReport = FleetPlan & { yaml?: string; errors: Array<{ host: string; error: string }> };

async function cli<T>(config: string, ...args: string[]): Promise<T> {
  const r = await vmbackupWith(config, '-o', 'json', ...args);
  assert.equal(r.exitCode, 0, `vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

before(async () => {
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown> & { hosts: Array<Record<string, unknown>> };
  const hosts = [];
  for (const name of HOSTS) {
    mkdirSync(join(DIR, name, 'state'), { recursive: true });
    const store = await makePrivateStore(join(DIR, name));
    hosts.push({ ...base.hosts.find((h) => h.name === name), backy2_config: store, state_dir: join(DIR, name, 'state'), concurrency: 2 });
  }
  const config = { ...base, hosts, inventory: { driver: 'local', file: INVENTORY } };
  writeFileSync(CONFIG, yaml.dump({ ...config, project_assignments: { projects: { [PROJECTS[0]!]: 'backup1', [PROJECTS[1]!]: 'backup1', [PROJECTS[2]!]: 'backup2' } } }));
  writeFileSync(ONE_HOST, yaml.dump({ ...config, project_assignments: { default: 'backup1' } }));
  // Other disks in the pool are not in this file: they have no project, so no host plans them.
  writeFileSync(INVENTORY, yaml.dump({ vms: Object.fromEntries(DISKS.map((d) => [d.id, { name: d.id, project: d.project }])) }));
  await Promise.all(DISKS.map((d) => createDisk(d.id, SIZE, 8 * MiB)));
  workers = await Promise.all(HOSTS.map((h) => startWorker(h, CONFIG)));
});

after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const d of DISKS) await removeDisk(`${d.id}_disk`).catch(() => undefined);
  rmSync(DIR, { recursive: true, force: true });
});

test('after two nights, plan predicts each host\'s night; with every project on one host it proposes a move and applies nothing', { timeout: 600_000 }, async () => {
  for (const night of [1, 2]) {
    const r = await vmbackupWith(CONFIG, '-o', 'json', 'run-nightly', '--wait');
    assert.equal(r.exitCode, 0, `night ${night}: ${r.stderr}`);
    const summaries = JSON.parse(r.stdout) as NightlySummary[];
    assert.deepEqual(summaries.map((s) => s.counts.full + s.counts.incremental).sort(), [2, 4], `night ${night}: ${r.stdout}`);
    for (const d of DISKS) await changeBlocks(`${d.id}_disk`, SIZE, 2, 256 * 1024);
  }

  const plan = await cli<PlanReport>(CONFIG, 'plan');
  assert.deepEqual(plan.errors, []);
  assert.deepEqual(plan.hosts.map((h) => [h.host, h.planned, h.full, h.modelFrom, h.model?.nights]), [
    ['backup1', 4, 0, 'measured', 2],
    ['backup2', 2, 0, 'measured', 2],
  ]);
  for (const h of plan.hosts) {
    assert.ok(h.predictedSeconds! > 0 && h.predictedSeconds! < 600, `${h.host}: predicted ${h.predictedSeconds} s`);
    assert.equal(h.fits, true);
    // backy2 counts whole seconds: copies of these 8 MiB disks take none, so no read rate (null) and the fixed cost carries all.
    const rate = h.model!.readBytesPerSecond as number | null;
    assert.ok(rate === null || rate > 0, `read rate ${rate}`);
    assert.ok(h.model!.fixedSecondsPerDisk > 0);
  }
  // Two projects against one, within a 10 h window: even enough.
  assert.deepEqual(plan.balance, { needed: false, moves: [], after: [] });

  // Every project on backup1: backup2 would idle. A tight threshold makes the gap count at this size.
  const lopsided = await cli<PlanReport>(ONE_HOST, 'plan', '--imbalance', '0.0001');
  assert.deepEqual(lopsided.hosts.map((h) => [h.host, h.planned]), [['backup1', 6], ['backup2', 0]]);
  assert.ok(lopsided.hosts[0]!.predictedSeconds! > plan.hosts[0]!.predictedSeconds!, 'more disks, a longer night');
  assert.equal(lopsided.balance?.needed, true);
  assert.ok(lopsided.balance.moves.length >= 1);
  for (const m of lopsided.balance.moves) {
    assert.equal(m.from, 'backup1');
    assert.equal(m.to, 'backup2');
    assert.ok(PROJECTS.includes(m.project));
  }
  assert.match(lopsided.yaml!, new RegExp(`^project_assignments:\\n  projects:\\n    ${lopsided.balance.moves[0]!.project}: backup2 `));
  assert.ok(lopsided.balance.after.every((h) => h.steadySeconds > 0), 'both hosts have work after the moves');
  // The table an operator reads: the hosts, the moves, the snippet, the hosts after.
  const table = await vmbackupWith(ONE_HOST, 'plan', '--imbalance', '0.0001');
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, /^HOST +DISKS +FULL +TONIGHT +STEADY +WINDOW +FITS/);
  assert.match(table.stdout, /\nbackup1 +6 +2 +\S+ +\S+ +10h00m +yes /);
  assert.match(table.stdout, /proposed moves \(not applied; merge into your config\):\nPROJECT +FROM +TO/);
  assert.match(table.stdout, /\nproject_assignments:\n  projects:\n/);
  assert.match(table.stdout, /\nAFTER THE MOVES +STEADY +WINDOW +FITS\n/);
  // Only a proposal: the config is as it was, and tonight on backup2 still plans its own project only.
  assert.doesNotMatch(readFileSync(ONE_HOST, 'utf8'), new RegExp(`${PROJECTS[0]}: backup2`));
  const again = await cli<PlanReport>(CONFIG, 'plan', '--host', 'backup2');
  assert.deepEqual(again.hosts.map((h) => [h.host, h.planned]), [['backup2', 2]]);
  assert.equal(again.balance, undefined, '--host proposes nothing');
});
