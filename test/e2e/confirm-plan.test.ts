// Destructive commands ask, and never take the last copy (issue 9, section 5),
// on the real stack: every command that removes refuses without --yes off a
// terminal (exit 2, nothing started or changed); --yes carries out exactly the
// plan the dry run showed, and removes nothing when the store changed since;
// purge refuses an --as-of later than now, in the CLI and in the workflow; a
// moved project's disk keeps its last valid version unless the operator names it.
//
// One private backup host with a private backy2 store (as purge-expired does),
// so every plan is this file's alone. Its versions are made by real `backy2
// backup` runs of a small disk and then dated in backy2's own metadata: the
// dates stand in for nights that cannot be waited for.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { rootCause } from '../../lib/errors.ts';
import { BackupHost, Operation } from '../../lib/search-attributes.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import type { purgeExpired } from '../../workflows/purge-expired.ts';
import { type CliRun, vmbackupConfirmed, vmbackupWith } from '../support/cli.ts';
import { createDisk, MiB, removeDisk, snapshotNames } from '../support/disks.ts';
import { config, CONFIG_FILE, POOL, rbd, ROOT, uniqueVmId } from '../support/stack.ts';
import { type HoldPoints, useHoldPoints } from '../support/hold-points.ts';
import { connectClient } from '../support/temporal.ts';
import { makePrivateStore } from '../support/private-store.ts';

const HOST = `confirm-${process.pid}`;
const OTHER = `confirm-other-${process.pid}`; // a second host of the config, with no worker: a moved project's new home
const DIR = `${ROOT}.stack/test/confirm-plan-${process.pid}`;
const STORE_CFG = join(DIR, 'backy.cfg');
const STORE_DB = join(DIR, 'backy.sqlite');
const CONFIG = join(DIR, 'config.yaml');
const CONFIG_NO_SCHEDULE = join(DIR, 'config-no-schedule.yaml');
const INVENTORY = join(DIR, 'inventory.yaml');
const SNAP = 'night';
const AS_OF = '2001-02-10T06:00:00.000Z'; // the morning after night 40
const P_MOVED = `${uniqueVmId('moved')}`;

const source = uniqueVmId('confirm-src'); // the disk every version is read from; also the moved project's VM
const MOVED = `${source}_disk`;
let sourceImage = '';
let worker: WorkerProcess;
let holds: HoldPoints;

const night = (n: number) => new Date(Date.UTC(2001, 0, n)).toISOString().slice(0, 10);
const expiresAfter = (n: number) => `expires_${night(n + 8)}`;
const FAR = 'expires_2099-01-01';
const stray = (day: number) => `2026-01-0${day}T00:00:00_${HOST}`;

before(async () => {
  for (const sub of ['lock', 'data', 'nbd-cache', 'state', 'other-state']) mkdirSync(join(DIR, sub), { recursive: true });
  await makePrivateStore(DIR);
  writeFileSync(INVENTORY, yaml.dump({ vms: { [source]: { name: 'confirm-moved', project: P_MOVED } } }));
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  const hosts = [
    { name: HOST, backy2_config: STORE_CFG, state_dir: join(DIR, 'state'), schedule: { purge: '04:00' } },
    { name: OTHER, backy2_config: STORE_CFG, state_dir: join(DIR, 'other-state') },
  ];
  // The stack's pool is shared with every test file, so a shrink of its inventory between runs means nothing here:
  // remove-unhandled's shrink guard is off (remove-unhandled-guard.test.ts tests it on a pool of its own).
  const inventory = { driver: 'local', file: INVENTORY, max_vanished_share: 1 };
  const ours = { ...base, hosts, inventory, project_assignments: { default: HOST, projects: { [P_MOVED]: OTHER } } };
  writeFileSync(CONFIG, yaml.dump(ours));
  writeFileSync(CONFIG_NO_SCHEDULE, yaml.dump({ ...ours, hosts: hosts.map(({ schedule: _schedule, ...h }) => h) }));
  holds = useHoldPoints();
  worker = await startWorker(HOST, CONFIG);
  sourceImage = await createDisk(source, 4 * MiB);
  await rbd('snap', 'create', `${POOL}/${sourceImage}@${SNAP}`);
});

after(async () => {
  await worker?.stop();
  holds?.dispose();
  // A Schedule left by a failed run would fire at 04:00 for a host that no longer exists.
  const client = await connectClient();
  await client.schedule.getHandle(`${config.temporal.task_queue}/${HOST}/purge`).delete().catch(() => undefined);
  await client.connection.close();
  if (sourceImage) await removeDisk(sourceImage);
  rmSync(DIR, { recursive: true, force: true });
});

const cli = (...args: string[]) => vmbackupWith(CONFIG, ...args);
const sqlite = (sql: string) => execa('sqlite3', ['-cmd', '.timeout 10000', STORE_DB, sql]);

/** A real `backy2 backup` of the source disk into the private store as version `name`, dated night `n`. */
async function backupOn(name: string, n: number, tags: string[]): Promise<string> {
  const args = ['-c', STORE_CFG, 'backup', '-s', SNAP, ...tags.flatMap((t) => ['-t', t]), `rbd://${POOL}/${sourceImage}@${SNAP}`, name];
  const { stdout } = await execa(config.engine.bin, args);
  const uid = /New version: ([0-9a-f-]{36})/.exec(stdout)?.[1];
  assert.ok(uid, `backy2 backup printed no uid:\n${stdout}`);
  await sqlite(`UPDATE versions SET date = '${night(n)} 02:00:00' WHERE uid = '${uid}'`);
  return uid;
}

/** Every version uid of the private store, by the real backy2. */
async function storeUids(): Promise<string[]> {
  const { stdout } = await execa(config.engine.bin, ['-m', '-c', STORE_CFG, 'ls']);
  return [...stdout.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map((m) => m[0]).sort();
}

const markInvalid = (uid: string) => sqlite(`UPDATE versions SET valid = 0 WHERE uid = '${uid}'`);
const sorted = (xs: Iterable<string>) => [...xs].sort();
const refusedPlanChanged = (r: CliRun) => {
  assert.equal(r.exitCode, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`${HOST}: the plan changed since it was shown \\(confirmed [0-9a-f]{10}, now [0-9a-f]{10}: .*\\); nothing was removed`));
};

test('without --yes off a terminal, every removing command refuses with exit 2 and nothing is started or changed', { timeout: 300_000 }, async () => {
  const x = `${uniqueVmId('confirm-x')}_disk`;
  await backupOn(x, 1, [expiresAfter(1)]);
  await backupOn(x, 40, [expiresAfter(40)]);
  await markInvalid(await backupOn(x, 2, [FAR]));
  await rbd('snap', 'create', `${POOL}/${sourceImage}@${stray(1)}`);
  const uids = await storeUids();
  const snaps = sorted(await snapshotNames(sourceImage));

  for (const args of [
    ['purge', '--host', HOST, '--as-of', AS_OF],
    ['remove-invalids', '--host', HOST],
    ['remove-unhandled', '--host', HOST],
    ['snapshots', 'purge', '--host', HOST],
  ]) {
    const r = await cli(...args);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /needs --dry-run or --yes off a terminal; nothing was started or changed\nhint: Run it with --dry-run first/, args.join(' '));
    const bare = await cli(...args, '--yes');
    assert.equal(bare.exitCode, 2, `${args.join(' ')} --yes: ${bare.stderr}`);
    assert.match(bare.stderr, /--yes needs --plan: --yes carries out the plan you were shown, not a fresh one/);
  }
  assert.deepEqual(await storeUids(), uids, 'no version went');
  assert.deepEqual(sorted(await snapshotNames(sourceImage)), snaps, 'no snapshot went');
  const client = await connectClient();
  try {
    const started = await client.workflow.count(`BackupHost = "${HOST}"`);
    assert.equal(started.count, 0, 'no workflow was started for the host');
  } finally {
    await client.connection.close();
  }
});

test('purge --yes removes exactly the plan the dry run showed; when a version expired since, it removes nothing', { timeout: 300_000 }, async () => {
  const y = `${uniqueVmId('confirm-y')}_disk`;
  const y1 = await backupOn(y, 1, [expiresAfter(1)]);
  await backupOn(y, 40, [expiresAfter(40)]);
  const dry = await cli('-o', 'json', 'purge', '--host', HOST, '--as-of', AS_OF, '--dry-run');
  assert.equal(dry.exitCode, 0, dry.stderr);
  const shown = JSON.parse(dry.stdout) as { plan: string; results: Array<{ removed: Array<{ uid: string }> }> };
  const planned = sorted(shown.results[0]!.removed.map((v) => v.uid));
  assert.ok(planned.includes(y1));
  const text = await cli('purge', '--host', HOST, '--as-of', AS_OF, '--dry-run');
  assert.match(text.stdout, new RegExp(`to carry out this plan: vmbackup --config \\S+ purge --host ${HOST} --as-of ${AS_OF} --yes --plan ${shown.plan}`));

  // The store changes between the dry run and the confirmed run: another disk's old version is now there, expired.
  const z = `${uniqueVmId('confirm-z')}_disk`;
  const z1 = await backupOn(z, 1, [expiresAfter(1)]);
  await backupOn(z, 40, [expiresAfter(40)]);
  const before = await storeUids();
  const stale = await cli('purge', '--host', HOST, '--as-of', AS_OF, '--yes', '--plan', shown.plan);
  refusedPlanChanged(stale);
  assert.deepEqual(await storeUids(), before, 'a changed plan removes nothing');

  const { run } = await vmbackupConfirmed(CONFIG, 'purge', '--host', HOST, '--as-of', AS_OF);
  assert.equal(run.exitCode, 0, run.stderr);
  // Each host's workflow is named with its Web UI link as it starts, on stderr (stdout is the JSON).
  assert.match(run.stderr, new RegExp(`started purge on ${HOST}: purge/${HOST}/\\d{4}-\\d\\d-\\d\\dT\\d{6}\nhistory: http://\\S+/workflows/purge%2F${HOST}%2F`));
  const removed = sorted((JSON.parse(run.stdout) as { results: Array<{ removed: Array<{ uid: string }> }> }).results[0]!.removed.map((v) => v.uid));
  assert.deepEqual(removed, sorted([...planned, z1]));
  assert.deepEqual(await storeUids(), before.filter((u) => !removed.includes(u)), 'exactly the confirmed plan went');
});

test("a version that became its disk's last valid one after the plan stays: the removal checks again, version by version", { timeout: 300_000 }, async () => {
  const q = `${uniqueVmId('confirm-q')}_disk`;
  const q1 = await backupOn(q, 1, [expiresAfter(1)]);
  const q2 = await backupOn(q, 40, [FAR]);
  const dry = await cli('-o', 'json', 'purge', '--host', HOST, '--as-of', AS_OF, '--dry-run');
  const shown = JSON.parse(dry.stdout) as { plan: string; results: Array<{ removed: Array<{ uid: string }>; kept: { byReason: Record<string, number> } }> };
  assert.deepEqual(shown.results[0]!.removed.map((v) => v.uid), [q1]);
  // The confirmed purge plans the same, then parks before its first removal; meanwhile a scrub finds the newest version bad.
  holds.arm('purge.before-remove', HOST);
  const running = cli('-o', 'json', 'purge', '--host', HOST, '--as-of', AS_OF, '--yes', '--plan', shown.plan);
  await holds.held('purge.before-remove');
  await markInvalid(q2);
  holds.release('purge.before-remove');
  const r = await running;
  assert.equal(r.exitCode, 0, r.stderr);
  const result = (JSON.parse(r.stdout) as { results: Array<{ removed: unknown[]; kept: { byReason: Record<string, number> } }> }).results[0]!;
  assert.deepEqual(result.removed, [], 'nothing went');
  assert.equal(result.kept.byReason['newest-valid'], shown.results[0]!.kept.byReason['newest-valid']! + 1, "q's older version is kept, as its disk's last valid one");
  assert.ok((await storeUids()).includes(q1), "the disk's last valid version is still in the store");
});

test('purge refuses an --as-of later than now (exit 2, nothing removed) except as a dry run; the workflow refuses it too', { timeout: 300_000 }, async () => {
  // A version that a purge ten days from now would remove: it expires tomorrow.
  const w = `${uniqueVmId('confirm-w')}_disk`;
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const w1 = await backupOn(w, 1, [`expires_${tomorrow}`]);
  await backupOn(w, 40, [FAR]);
  const later = new Date(Date.now() + 10 * 86_400_000).toISOString();
  const dry = await cli('-o', 'json', 'purge', '--host', HOST, '--as-of', later, '--dry-run');
  assert.equal(dry.exitCode, 0, dry.stderr);
  const shown = JSON.parse(dry.stdout) as { plan: string; results: Array<{ removed: Array<{ uid: string }> }> };
  assert.ok(shown.results[0]!.removed.some((v) => v.uid === w1), 'a dry run may look ahead');
  const before = await storeUids();

  const r = await cli('purge', '--host', HOST, '--as-of', later, '--yes', '--plan', shown.plan);
  assert.equal(r.exitCode, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`--as-of ${later.replaceAll('.', '\\.')} is later than now \\(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\): a purge removes only what has expired by now; nothing was removed`));

  // Started as a script or another client might: the workflow itself refuses.
  const client = await connectClient();
  try {
    const failed = await client.workflow
      .execute<typeof purgeExpired>('purgeExpired', {
        taskQueue: config.temporal.task_queue,
        workflowId: `test-confirm-future/${HOST}/${Date.now()}`,
        args: [{ host: HOST, asOf: later, minAgeDays: 0, liveForDays: { vms: 1 }, dryRun: false }],
        typedSearchAttributes: [
          { key: Operation, value: 'purge' },
          { key: BackupHost, value: HOST },
        ],
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    assert.ok(failed instanceof WorkflowFailedError, 'the workflow failed');
    assert.match(rootCause(failed).message, /asOf .* is later than now .*only a dry run may look ahead; nothing was removed/);
  } finally {
    await client.connection.close();
  }
  assert.deepEqual(await storeUids(), before, 'nothing was removed');
});

test('remove-invalids and snapshots purge carry out exactly the shown plan; a version or snapshot that appeared since stops them', { timeout: 300_000 }, async () => {
  const v = `${uniqueVmId('confirm-v')}_disk`;
  const [v1, v2] = [await backupOn(v, 1, [FAR]), await backupOn(v, 2, [FAR])];
  const v3 = await backupOn(v, 40, [FAR]);
  await markInvalid(v1);
  const dry = await cli('-o', 'json', 'remove-invalids', '--host', HOST, '--dry-run');
  assert.equal(dry.exitCode, 0, dry.stderr);
  const shown = JSON.parse(dry.stdout) as { plan: string; hosts: Array<{ versions: Array<{ uid: string; state: string }> }> };
  const planned = shown.hosts[0]!.versions.filter((x) => x.state === 'invalid').map((x) => x.uid);
  assert.ok(planned.includes(v1));
  await markInvalid(v2);
  const before = await storeUids();
  refusedPlanChanged(await cli('remove-invalids', '--host', HOST, '--yes', '--plan', shown.plan));
  assert.deepEqual(await storeUids(), before, 'a changed plan removes nothing');
  const { run } = await vmbackupConfirmed(CONFIG, 'remove-invalids', '--host', HOST);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`started remove-invalids on ${HOST}: remove-invalids/${HOST}/\\S+\nhistory: http://`));
  assert.deepEqual(await storeUids(), before.filter((u) => !planned.includes(u) && u !== v2), 'exactly the invalid versions went');
  assert.ok((await storeUids()).includes(v3), 'the valid version stays');

  const snaps = await cli('-o', 'json', 'snapshots', 'purge', '--host', HOST, '--dry-run');
  assert.equal(snaps.exitCode, 0, snaps.stderr);
  const snapPlan = (JSON.parse(snaps.stdout) as { plan: string }).plan;
  await rbd('snap', 'create', `${POOL}/${sourceImage}@${stray(2)}`);
  const all = sorted(await snapshotNames(sourceImage));
  assert.deepEqual(all, sorted([SNAP, stray(1), stray(2)]));
  refusedPlanChanged(await cli('snapshots', 'purge', '--host', HOST, '--yes', '--plan', snapPlan));
  assert.deepEqual(sorted(await snapshotNames(sourceImage)), all, 'a changed plan removes no snapshot');
  const purged = await vmbackupConfirmed(CONFIG, 'snapshots', 'purge', '--host', HOST);
  assert.equal(purged.run.exitCode, 0, purged.run.stderr);
  assert.deepEqual(await snapshotNames(sourceImage), [SNAP], 'exactly the two stray snapshots went');
});

/**
 * The CLI on a real terminal (a pty from util-linux `script`), answering `answer`
 * to its question: what an operator at a shell sees.
 */
async function onTerminal(answer: string, ...args: string[]): Promise<CliRun> {
  const command = [process.execPath, '--import', 'tsx', 'cli/main.ts', '--config', CONFIG, ...args].map((a) => `'${a}'`).join(' ');
  const r = await execa('script', ['-qec', command, '/dev/null'], { cwd: ROOT, input: `${answer}\n`, reject: false });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

test('on a terminal, without --yes, the plan is shown and asked about: any answer but yes changes nothing, yes carries it out', { timeout: 300_000 }, async () => {
  await rbd('snap', 'create', `${POOL}/${sourceImage}@${stray(3)}`);
  const no = await onTerminal('no', 'snapshots', 'purge', '--host', HOST);
  assert.equal(no.exitCode, 2, no.stdout);
  assert.match(no.stdout, new RegExp(`${sourceImage}\\s+${stray(3)}\\s+would remove`));
  assert.match(no.stdout, new RegExp(`This will:\\s+1\\. remove 1 dangling snapshots on ${HOST} \\(plan ${HOST}:[0-9a-f]{10}\\)[\\s\\S]*Type yes \\(yes\\) to go ahead: `));
  assert.match(no.stdout, /not confirmed; nothing was changed/);
  assert.ok((await snapshotNames(sourceImage)).includes(stray(3)), 'a refusal removes nothing');

  const yes = await onTerminal('yes', 'snapshots', 'purge', '--host', HOST);
  assert.equal(yes.exitCode, 0, yes.stdout);
  assert.match(yes.stdout, new RegExp(`${sourceImage}\\s+${stray(3)}\\s+removed`));
  assert.ok(!(await snapshotNames(sourceImage)).includes(stray(3)), 'confirmed on the terminal, it went');
});

test("remove-unhandled keeps a moved project's last valid version until the operator names the disk with --include-last", { timeout: 300_000 }, async () => {
  const m1 = await backupOn(MOVED, 38, [FAR, `project_${P_MOVED}`]);
  const m2 = await backupOn(MOVED, 39, [FAR, `project_${P_MOVED}`]);
  const m3 = await backupOn(MOVED, 40, [FAR, `project_${P_MOVED}`]);
  await markInvalid(m3); // the newest is invalid: the newest valid one is the last copy
  type Report = { hosts: Array<{ disks: Array<{ disk: string; code: string; versions: Array<{ uid: string }>; lastValidKept?: string }>; kept: Array<{ disk: string; code: string }> }> };
  const planOf = (r: CliRun) => (JSON.parse(r.stdout) as Report).hosts[0]!;

  const first = await vmbackupConfirmed(CONFIG, 'remove-unhandled', '--host', HOST, '--disk', MOVED);
  const shown = planOf(first.dryRun);
  assert.deepEqual(shown.disks.map((d) => [d.disk, d.code, sorted(d.versions.map((v) => v.uid)), d.lastValidKept]), [[MOVED, 'moved', sorted([m1, m3]), m2]]);
  assert.equal(first.run.exitCode, 0, first.run.stderr);
  let left = await storeUids();
  assert.ok(left.includes(m2) && !left.includes(m1) && !left.includes(m3), 'the last valid version stays, the others went');

  const again = await cli('-o', 'json', 'remove-unhandled', '--host', HOST, '--disk', MOVED, '--dry-run');
  assert.deepEqual(planOf(again).kept.map((k) => [k.disk, k.code]), [[MOVED, 'last-valid']]);
  const unnamed = await cli('remove-unhandled', '--host', HOST, '--include-last', '--dry-run');
  assert.equal(unnamed.exitCode, 2);
  assert.match(unnamed.stderr, /--include-last needs --disk NAME/);

  const named = await vmbackupConfirmed(CONFIG, 'remove-unhandled', '--host', HOST, '--disk', MOVED, '--include-last');
  assert.deepEqual(planOf(named.dryRun).disks.map((d) => d.versions.map((v) => v.uid)), [[m2]]);
  assert.equal(named.run.exitCode, 0, named.run.stderr);
  left = await storeUids();
  assert.ok(!left.includes(m2), 'named, the last valid version went');
});

test('schedule apply removes a Schedule the config no longer names only when confirmed; creating needs no confirmation', { timeout: 300_000 }, async () => {
  const id = `${config.temporal.task_queue}/${HOST}/purge`;
  const list = async (file: string) => {
    const r = await vmbackupWith(file, '-o', 'json', 'schedule', 'list');
    assert.equal(r.exitCode, 0, r.stderr);
    return (JSON.parse(r.stdout) as Array<{ scheduleId: string }>).map((s) => s.scheduleId);
  };
  const created = await vmbackupWith(CONFIG, 'schedule', 'apply');
  assert.equal(created.exitCode, 0, created.stderr);
  assert.deepEqual(await list(CONFIG), [id]);

  const refused = await vmbackupWith(CONFIG_NO_SCHEDULE, 'schedule', 'apply');
  assert.equal(refused.exitCode, 2, refused.stderr);
  assert.match(refused.stderr, /schedule apply removes 1 Schedule\(s\) the config no longer names and needs --dry-run or --yes off a terminal; nothing was started or changed/);
  assert.deepEqual(await list(CONFIG_NO_SCHEDULE), [id], 'the Schedule is still there');

  const { dryRun, run } = await vmbackupConfirmed(CONFIG_NO_SCHEDULE, 'schedule', 'apply');
  assert.deepEqual((JSON.parse(dryRun.stdout) as { changes: unknown[] }).changes, [{ scheduleId: id, change: 'remove', when: '-' }]);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.deepEqual(await list(CONFIG_NO_SCHEDULE), [], 'removed once confirmed');
});
