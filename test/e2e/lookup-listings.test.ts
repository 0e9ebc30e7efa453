// VMs named by name (resolved through the local inventory driver's real YAML
// file and the real pool), a manual backup going to its project's assigned host,
// and the runbook's listings: `ls --host`, `snapshots --vm`, `show-excess`. Real
// workers, Temporal, Ceph and backy2; the CLI run as an operator runs it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { type CliRun, vmbackupWith } from '../support/cli.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { backy2, CONFIG_FILE, POOL, rbd, uniqueVmId, versionRows } from '../support/stack.ts';

const tag = uniqueVmId('lk');
const WEB = uniqueVmId('lk-web');
const DUP_A = uniqueVmId('lk-dupa');
const DUP_B = uniqueVmId('lk-dupb');
/** Its name is WEB's id: an id must still name its own VM. */
const IMPOSTOR = uniqueVmId('lk-imp');
const WEB_NAME = `web-${tag}`;
const DUP_NAME = `dup-${tag}`;
const PROJECT = `proj-${tag}`;
/** A snapshot someone else made by hand: no host suffix. */
const FOREIGN_SNAP = 'before-upgrade';
/** Two leaked backup snapshots of backup2 (older than any real one). */
const LEAKED = ['2026-01-01T00:00:00_backup2', '2026-01-02T00:00:00_backup2'];

const dir = mkdtempSync(join(tmpdir(), 'vmbackup-lookup-'));
const configFile = join(dir, 'config.yaml');
const images = [WEB, DUP_A, DUP_B, IMPOSTOR].map((id) => `${id}_disk`);
let workers: WorkerProcess[] = [];

const cli = (...args: string[]): Promise<CliRun> => vmbackupWith(configFile, ...args);
async function json<T>(...args: string[]): Promise<T> {
  const r = await cli('-f', 'json', ...args);
  assert.equal(r.exitCode, 0, `vmbackup ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

type Ls = { vm: string; name: string; versions: Array<{ uid: string; host: string; tags: string[] }> };

before(async () => {
  writeFileSync(
    join(dir, 'inventory.yaml'),
    yaml.dump({
      vms: {
        [WEB]: { name: WEB_NAME, project: PROJECT },
        [DUP_A]: { name: DUP_NAME, project: PROJECT },
        [DUP_B]: { name: DUP_NAME, project: 'other' },
        [IMPOSTOR]: { name: WEB, project: 'other' },
      },
    }),
  );
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, Record<string, unknown>>;
  const assignments = base.project_assignments as { projects: Record<string, string> };
  writeFileSync(
    configFile,
    yaml.dump({
      ...base,
      inventory: { ...base.inventory, driver: 'local', file: join(dir, 'inventory.yaml') },
      project_assignments: { ...assignments, default: 'backup1', projects: { ...assignments.projects, [PROJECT]: 'backup2' } },
    }),
  );
  await createDisk(WEB, 8 * MiB);
  await Promise.all([DUP_A, DUP_B, IMPOSTOR].map((id) => rbd('create', '--size', '4M', `${POOL}/${id}_disk`)));
  workers = await Promise.all(['backup1', 'backup2'].map((h) => startWorker(h, configFile)));
});

after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const host of ['backup1', 'backup2']) {
    for (const { uid } of await versionRows(host, `${WEB}_disk`).catch(() => [])) await backy2(host, 'rm', '-f', uid).catch(() => undefined);
  }
  await rbd('snap', 'purge', '--no-progress', `${POOL}/${WEB}_disk`).catch(() => undefined);
  for (const image of images) await removeDisk(image).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('ls NAME of a VM without backups says so, naming it; an unknown name exits 3 (it used to say "no backups" and exit 0)', async () => {
  const none = await cli('ls', WEB_NAME);
  assert.equal(none.exitCode, 0, none.stderr);
  assert.equal(none.stdout.trim(), `no backups of VM ${WEB_NAME} (${WEB})`);

  const unknown = await cli('ls', `nosuch-${tag}`);
  assert.equal(unknown.exitCode, 3, unknown.stderr);
  assert.match(unknown.stderr, new RegExp(`error: no VM 'nosuch-${tag}' in the inventory, and no backups of that id on any host`));
  assert.equal(unknown.stdout, '');
});

test("backup NAME goes to its project's assigned host, records the project, and ls NAME lists it", async () => {
  const run = await cli('-f', 'json', 'backup', WEB_NAME, '--wait');
  assert.equal(run.exitCode, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /warning/);
  const byName = await json<Ls>('ls', WEB_NAME);
  assert.equal(byName.vm, WEB);
  assert.equal(byName.name, WEB_NAME);
  assert.equal(byName.versions.length, 1);
  assert.equal(byName.versions[0]!.host, 'backup2', 'project_assignments sends the project to backup2, not the first host');
  assert.ok(byName.versions[0]!.tags.includes(`project_${PROJECT}`), byName.versions[0]!.tags.join(','));
  // The id names the same disk, even though another VM is called by it.
  assert.deepEqual((await json<Ls>('ls', WEB)).versions.map((v) => v.uid), byName.versions.map((v) => v.uid));
  // What `openstack … -f value -c ID` users expect: one bare uid.
  const uid = await cli('ls', WEB_NAME, '-f', 'value', '-c', 'uid');
  assert.equal(uid.stdout.trim(), byName.versions[0]!.uid);
  // status --vm takes the name too: the backup is listed under the VM's id.
  const status = await json<{ operations: Array<{ operation: string; vm: string }> }>('status', '--vm', WEB_NAME, '--since', '1h', '--operation', 'backup');
  assert.deepEqual(status.operations.map((o) => `${o.operation} ${o.vm}`), [`backup ${WEB}`]);
});

test('--host against the assignment is obeyed, with a warning naming the assigned host', async () => {
  const r = await cli('backup', WEB_NAME, '--host', 'backup1', '--dry-run');
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`warning: --host backup1 overrides the assignment: project ${PROJECT} is backed up on backup2 \\(project_assignments.projects.${PROJECT}\\)`));
  assert.match(r.stderr, new RegExp(`backup of VM ${WEB_NAME} \\(${WEB}\\) on backup1`));
});

test('a name two VMs carry is refused (exit 2) with both candidates: id, project, host; nothing is started', async () => {
  for (const args of [['ls', DUP_NAME], ['backup', DUP_NAME]]) {
    const r = await cli(...args);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`2 VMs are named '${DUP_NAME}'; nothing was done`));
    assert.match(r.stderr, new RegExp(`${DUP_A} +project ${PROJECT} +host backup2`));
    assert.match(r.stderr, new RegExp(`${DUP_B} +project other +host backup1`));
    assert.match(r.stderr, /hint: Name the VM by its id/);
  }
  const asJson = await cli('-f', 'json', 'ls', DUP_NAME);
  const error = JSON.parse(asJson.stderr.trim().split('\n').at(-1)!) as { error: { type: string; exitCode: number; candidates: Array<{ id: string }> } };
  assert.equal(error.error.type, 'AmbiguousNameError');
  assert.equal(error.error.exitCode, 2);
  assert.deepEqual(error.error.candidates.map((c) => c.id).sort(), [DUP_A, DUP_B].sort());
});

test('snapshots --vm NAME: every snapshot of the disk with the host whose backup made it', async () => {
  await rbd('snap', 'create', '--no-progress', `${POOL}/${WEB}_disk@${FOREIGN_SNAP}`);
  const r = await cli('-f', 'json', 'snapshots', '--vm', WEB_NAME);
  assert.equal(r.exitCode, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { vm: string; image: string; snapshots: Array<{ name: string; owner?: string; takenAt?: string }>; over: unknown[] };
  assert.equal(body.vm, WEB);
  assert.equal(body.image, `${WEB}_disk`);
  const owners = Object.fromEntries(body.snapshots.map((s) => [s.name, s.owner ?? null]));
  assert.equal(owners[FOREIGN_SNAP], null, "a snapshot without a host suffix is nobody's");
  // Its time is rbd's own, read as an ISO time: made a moment ago.
  const taken = Date.parse(body.snapshots.find((s) => s.name === FOREIGN_SNAP)?.takenAt ?? '');
  assert.ok(Math.abs(Date.now() - taken) < 3_600_000, `taken ${taken}`);
  assert.deepEqual(Object.values(owners).filter((o) => o !== null), ['backup2'], "the backup's one snapshot, owned by backup2");
  assert.deepEqual(body.over, []);
});

test('show-excess: a disk with leaked backup snapshots and versions past their policy; snapshots --vm flags the leak', async () => {
  const again = await cli('backup', WEB_NAME, '--again', '--wait');
  assert.equal(again.exitCode, 0, again.stderr);
  // Made after the backup, which removes its host's older snapshots of the disk.
  for (const s of LEAKED) await rbd('snap', 'create', '--no-progress', `${POOL}/${WEB}_disk@${s}`);
  // Two versions; 30 days on, the older one is past live_for_days (the newest valid always stays).
  const asOf = new Date(Date.now() + 30 * 86_400_000).toISOString();
  type Excess = { hosts: Array<{ host: string; total: number; more: number; disks: Array<{ image: string; versions: number; excessVersions: number; snapshots: number; excessSnapshots: number }> }> };
  const body = await json<Excess>('show-excess', '--host', 'backup2', '--as-of', asOf, '--limit', '2000');
  assert.deepEqual(body.hosts.map((h) => h.host), ['backup2']);
  const ours = body.hosts[0]!.disks.find((d) => d.image === `${WEB}_disk`);
  // The second backup's one snapshot plus the two leaked.
  assert.deepEqual(ours, { image: `${WEB}_disk`, workload: 'vms', versions: 2, excessVersions: 1, snapshots: 3, excessSnapshots: 2 });

  const table = await cli('snapshots', '--vm', WEB_NAME);
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, /\n\nnote: backup2 has 3 backup snapshots of this disk, 1 expected/, 'the note follows the table');
  for (const s of [...LEAKED, FOREIGN_SNAP]) assert.match(table.stdout, new RegExp(`^${s} `, 'm'));
});

test('ls --host: one page of the store, newest first, with how many are left out', async () => {
  const ours = (await json<Ls>('ls', WEB_NAME)).versions.map((v) => v.uid);
  type Page = { host: string; total: number; offset: number; more: number; versions: Array<{ uid: string; name: string; date: string }> };
  const page = await json<Page>('ls', '--host', 'backup2', '--limit', '50');
  assert.equal(page.host, 'backup2');
  assert.ok(page.versions.length <= 50);
  assert.equal(page.more, page.total - page.versions.length);
  const dates = page.versions.map((v) => v.date);
  assert.deepEqual(dates, [...dates].sort().reverse(), 'newest first');
  for (const uid of ours) assert.ok(page.versions.some((v) => v.uid === uid), `version ${uid}, made a moment ago, is on the first page`);

  const one = await cli('ls', '--host', 'backup2', '--limit', '1', '-f', 'value', '-c', 'uid');
  assert.equal(one.exitCode, 0, one.stderr);
  assert.equal(one.stdout.trim().split('\n').length, 1);
  assert.match(one.stderr, /^1 of \d+ versions on backup2/m);
});
