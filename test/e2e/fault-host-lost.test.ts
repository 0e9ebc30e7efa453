// A backup host that never comes back, and its disks moved to another host
// (issue 10, fault 6b; 6a, the lost host's nights ending `unreachable`, is in
// host-unreachable.test.ts).
//
// Two test-only hosts with private stores. Project MOVED is on backup1, STAYS
// on backup2; a night backs up both hosts' disks. backup1's worker is then
// SIGKILLed and never restarted. The operator assigns MOVED to backup2 and
// restarts backup2's worker with that config, then runs `vmbackup takeover
// --from backup1`: refused while the old config still assigns MOVED to
// backup1, and while backup1's worker was seen polling; then a dry run lists
// exactly MOVED's disks, and `--yes --plan` backs each up in full on backup2
// (children of a takeover night), after which only backup2's snapshot is left
// on each disk. backup1's store is never touched. Both restore byte-identical
// from backup2, and backup2's next night is incremental.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import yaml from 'js-yaml';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import { hostTaskQueue } from '../../lib/task-queues.ts';
import { recentPollers } from '../../lib/temporal/pollers.ts';
import { LIVE_WITHIN_MS } from '../../cli/config-guard.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupWith } from '../support/cli.ts';
import { createDisk, exportToFile, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { makePrivateStore } from '../support/private-store.ts';
import { config, CONFIG_FILE, ROOT, sha256File, uniqueVmId } from '../support/stack.ts';
import { connectClient, findWorkflows } from '../support/temporal.ts';

const DIR = `${ROOT}.stack/test/host-lost-${process.pid}`;
const BEFORE = join(DIR, 'config-before.yaml');
const AFTER = join(DIR, 'config-after.yaml');
const INVENTORY = join(DIR, 'inventory.yaml');
const HOSTS = ['backup1', 'backup2'] as const;
const SIZE = 16 * MiB;

const run = uniqueVmId('lost');
const MOVED = `${run}-moved`;
const STAYS = `${run}-stays`;
const vms = { a: `${run}-a`, b: `${run}-b`, c: `${run}-c` };
const moved = [vms.a, vms.b];
const image = (vm: string) => `${vm}_disk`;
const stores: Record<string, string> = {};
const workers: Partial<Record<string, WorkerProcess>> = {};
let client: Client;

type Takeover = { dryRun: boolean; plan?: string; results: Array<{ host: string; planDigest: string; workflowId: string; summary: NightlySummary }>; errors: Array<{ host: string; error: string }> };

/** `backy2 -m ls` of a private store: its version lines, as the operator reads them. */
async function storeListing(host: string): Promise<string[]> {
  const { stdout } = await execa(config.engine.bin, ['-m', '-c', stores[host]!, 'ls']);
  return stdout.split('\n').filter((l) => l.startsWith('version|'));
}

/** [disk, valid] of each version of our disks in a host's store. */
async function versionsOf(host: string): Promise<Array<[string, boolean, string]>> {
  return (await storeListing(host))
    .map((l) => l.split('|'))
    .filter((f) => Object.values(vms).map(image).includes(f[2]!))
    .map((f): [string, boolean, string] => [f[2]!, f[7] === '1', f[6]!])
    .sort((x, y) => x[0].localeCompare(y[0]));
}

function writeConfig(file: string, assignments: Record<string, string>): void {
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    file,
    yaml.dump({
      ...base,
      hosts: HOSTS.map((h) => ({ name: h, backy2_config: stores[h], state_dir: join(DIR, h, 'state') })),
      // Other test files' disks in the pool are not in this inventory: skipped `no-project`.
      inventory: { driver: 'local', file: INVENTORY, max_vanished_share: 1 },
      project_assignments: { projects: assignments },
    }),
  );
}

const night = async (configFile: string, host: string): Promise<NightlySummary> => {
  const r = await vmbackupWith(configFile, '-o', 'json', 'run-nightly', '--host', host, '--wait');
  assert.equal(r.exitCode, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<NightlySummary & { workflowId: string }>)[0]!;
};

before(async () => {
  for (const h of HOSTS) stores[h] = await makePrivateStore(join(DIR, h));
  mkdirSync(DIR, { recursive: true });
  writeFileSync(
    INVENTORY,
    yaml.dump({ vms: { [vms.a]: { name: 'lost-a', project: MOVED }, [vms.b]: { name: 'lost-b', project: MOVED }, [vms.c]: { name: 'lost-c', project: STAYS } } }),
  );
  writeConfig(BEFORE, { [MOVED]: 'backup1', [STAYS]: 'backup2' });
  writeConfig(AFTER, { [MOVED]: 'backup2', [STAYS]: 'backup2' });
  for (const vm of Object.values(vms)) await createDisk(vm, SIZE);
  for (const h of HOSTS) workers[h] = await startWorker(h, BEFORE);
  client = await connectClient();
});

after(async () => {
  await Promise.all(Object.values(workers).map((w) => w?.stop()));
  await client?.connection.close();
  for (const vm of Object.values(vms)) await removeDisk(image(vm)).catch(() => undefined);
  rmSync(DIR, { recursive: true, force: true });
});

test("a lost host's disks taken over: refused while the config or a live worker says otherwise; then full backups on the new host, only its snapshot left, byte-identical, the next night incremental", { timeout: 600_000 }, async (t) => {
  assert.deepEqual((await night(BEFORE, 'backup1')).backedUp.map((d) => d.id).sort(), moved.sort());
  assert.deepEqual((await night(BEFORE, 'backup2')).backedUp.map((d) => d.id), [vms.c]);
  const lostStore = await storeListing('backup1');

  // backup1 dies for good; the operator moves its project and restarts backup2's worker on the new config.
  await workers.backup1!.stop('SIGKILL');
  delete workers.backup1;
  await workers.backup2!.stop();
  workers.backup2 = await startWorker('backup2', AFTER);

  // The old config still assigns MOVED to backup1: refused, nothing started.
  const stale = await vmbackupWith(BEFORE, 'takeover', '--from', 'backup1', '--dry-run');
  assert.equal(stale.exitCode, 2, stale.stderr);
  assert.match(stale.stderr, new RegExp(`still assigns projects to backup1 \\(project_assignments\\.projects\\.${MOVED}\\).*nothing was started`));
  // backup1's worker polled moments ago: Temporal cannot tell it from a live one yet, so it is refused too.
  const early = await vmbackupWith(AFTER, 'takeover', '--from', 'backup1', '--dry-run');
  assert.equal(early.exitCode, 2, early.stderr);
  assert.match(early.stderr, /backup1 is not lost: worker backup1@\d+ .*polled .* s ago; .*nothing was started/);
  assert.deepEqual(await findWorkflows(client, `TaskQueue = "${config.temporal.task_queue}" AND WorkflowId STARTS_WITH "takeover/"`, 0), []);

  // Once backup1's last poll is older than the liveness window (watched, not slept), the takeover may plan.
  const queue = hostTaskQueue(config.temporal.task_queue, 'backup1');
  for (let i = 0; (await recentPollers(client, config.temporal.namespace, [queue], LIVE_WITHIN_MS)).length > 0; i++) {
    assert.ok(i < 240, 'backup1 still counted as polling after two minutes');
    await new Promise((r) => setTimeout(r, 500));
  }
  const dry = await vmbackupWith(AFTER, '-o', 'json', 'takeover', '--from', 'backup1', '--dry-run');
  assert.equal(dry.exitCode, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as Takeover;
  assert.match(plan.plan ?? '', /^backup2:[0-9a-f]{10}$/);
  const [planned] = plan.results;
  assert.deepEqual(planned!.summary.takeover!.planned.map((d) => d.id).sort(), moved.sort(), 'exactly the moved project’s disks');
  assert.equal(planned!.summary.skippedByCode['has-backup'], 1, 'the disk backup2 already holds is not taken again');
  // As the operator reads it: the disks, and the line that carries out this very plan.
  const table = await vmbackupWith(AFTER, 'takeover', '--from', 'backup1', '--dry-run');
  assert.equal(table.exitCode, 0, table.stderr);
  t.diagnostic(table.stdout);
  assert.match(table.stdout, /takeover\s+of lost host backup1: the disks assigned here with no valid version here \(2\)/);
  for (const vm of moved) assert.match(table.stdout, new RegExp(`\\n${vm}\\s+lost-\\w\\s+${MOVED}\\s+${image(vm)}`));
  assert.ok(table.stdout.includes(`to carry out this plan: vmbackup --config ${AFTER} takeover --from backup1 --yes --plan ${plan.plan}`), table.stdout);
  assert.deepEqual(await versionsOf('backup2'), [[image(vms.c), true, (await versionsOf('backup2'))[0]![2]]], 'a dry run backs nothing up');

  const done = await vmbackupWith(AFTER, '-o', 'json', 'takeover', '--from', 'backup1', '--yes', '--plan', plan.plan!);
  assert.equal(done.exitCode, 0, done.stderr);
  const [taken] = (JSON.parse(done.stdout) as Takeover).results;
  const summary = taken!.summary;
  assert.deepEqual(summary.backedUp.map((d) => [d.id, d.kind]).sort(), moved.sort().map((id) => [id, 'full']));
  assert.equal(summary.takeover!.removedSnapshots, 2);
  assert.deepEqual(summary.takeover!.snapshotsKept, []);
  // Each backup is a child of the takeover night, findable as any backup.
  for (const vm of moved) {
    const found = await findWorkflows(client, `Operation = "backup" AND BackupHost = "backup2" AND VmId = "${vm}"`);
    assert.deepEqual(found.map((f) => f.workflowId), [`${taken!.workflowId}/${vm}`]);
  }

  // What the operator checks: one valid version of each moved disk on backup2, only backup2's snapshot on it,
  // the restore byte-identical to that snapshot; backup1's store exactly as it was.
  const onNew = await versionsOf('backup2');
  for (const vm of moved) {
    const versions = onNew.filter(([disk]) => disk === image(vm));
    assert.equal(versions.length, 1);
    assert.equal(versions[0]![1], true);
    const snaps = await snapshotNames(image(vm));
    assert.equal(snaps.length, 1);
    assert.match(snaps[0]!, /_backup2$/);
    const restored = join(DIR, `${vm}.restored`);
    const exported = join(DIR, `${vm}.exported`);
    await execa(config.engine.bin, ['-c', stores.backup2!, 'restore', versions[0]![2], `file://${restored}`]);
    await exportToFile(`${image(vm)}@${snaps[0]}`, exported);
    assert.equal(await sha256File(restored), await sha256File(exported), `${vm} restores byte-identical from backup2`);
    rmSync(restored);
    rmSync(exported);
  }
  assert.deepEqual(await storeListing('backup1'), lostStore, "the lost host's store is untouched");

  // backup2's next night: incremental on the takeover's versions, for every disk it now holds.
  const next = await night(AFTER, 'backup2');
  assert.deepEqual(next.backedUp.map((d) => [d.id, d.kind]).sort(), Object.values(vms).sort().map((id) => [id, 'incremental']));
});
