// The CLI says which config it uses, and a command that removes or overwrites
// runs only by the config the workers run: a worker on config A (this file's
// private config), the CLI with a config B that differs only in one host's
// store path. A restore and `schedule apply` by B are refused (exit 2, both
// fingerprints named), and nothing changes; the same restore by A goes through.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { configFingerprint } from '../../lib/config/fingerprint.ts';
import { loadConfig, LOCAL_CONFIG } from '../../lib/config/load.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { vmbackup, vmbackupJson, vmbackupWith } from '../support/cli.ts';
import { changeBlocks, createDisk, exportToFile, MiB, removeDisk } from '../support/disks.ts';
import { CONFIG_FILE, POOL, rbd, ROOT, sha256File, uniqueVmId } from '../support/stack.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-guard-'));
const CONFIG_B = join(tmp, 'other.yaml');
const vm = uniqueVmId('guard');
const image = `${vm}_disk`;
const SIZE = 16 * MiB;
let worker: WorkerProcess;

before(async () => {
  const a = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as { hosts: Array<Record<string, unknown>> };
  writeFileSync(CONFIG_B, yaml.dump({ ...a, hosts: a.hosts.map((h, i) => (i === 0 ? { ...h, backy2_config: join(tmp, 'elsewhere/backy.cfg') } : h)) }));
  worker = await startWorker('backup1');
});

after(async () => {
  await worker?.stop();
  for (const i of (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(image))) await removeDisk(i);
  rmSync(tmp, { recursive: true, force: true });
});

const hashOf = async (spec: string) => {
  const file = join(tmp, `${Date.now()}.img`);
  await exportToFile(spec, file);
  const hash = await sha256File(file);
  rmSync(file);
  return hash;
};
const asideImages = async () => (await rbd('ls', POOL)).split('\n').filter((n) => n.startsWith(`${image}.vmbackup-aside-`));

test('the CLI names its config on stderr, one line, and -o json stays clean; without --config it says it fell back to the local stack', async () => {
  const fingerprint = configFingerprint(loadConfig(CONFIG_FILE));
  const r = await vmbackup('-o', 'json', 'status', '--limit', '1');
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^config: ${CONFIG_FILE} \\(--config\\), fingerprint ${fingerprint}$`, 'm'));
  assert.doesNotThrow(() => JSON.parse(r.stdout));

  const env = { ...process.env, VMBACKUP_CONFIG: '' };
  const bare = await execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'status', '--limit', '1'], { cwd: ROOT, reject: false, env });
  assert.match(String(bare.stderr), new RegExp(`^config: ${LOCAL_CONFIG} \\(the local stack's, as neither --config, \\$VMBACKUP_CONFIG nor /etc/vmbackup/config.yaml was there\\)`, 'm'));
});

test('a restore and a schedule apply by a config the workers do not run are refused, nothing changes; by their config the restore runs', { timeout: 300_000 }, async () => {
  await createDisk(vm, SIZE);
  const backup = await vmbackupJson<BackupResult>('backup', vm, '--wait');
  const backedUp = await hashOf(`${image}@${backup.plan.snapshot}`);
  await changeBlocks(image, SIZE, 2);
  const changed = await hashOf(`${image}`);
  assert.notEqual(changed, backedUp);

  const mine = configFingerprint(loadConfig(CONFIG_FILE));
  const theirs = configFingerprint(loadConfig(CONFIG_B));
  assert.notEqual(mine, theirs, 'a store path is part of the fingerprint');

  const refused = await vmbackupWith(CONFIG_B, 'restore', vm, '--version', backup.versionUid!, '--yes');
  assert.equal(refused.exitCode, 2, refused.stderr);
  assert.match(refused.stderr, new RegExp(`refusing to start restoreInstance: this command's config ${CONFIG_B} \\(fingerprint ${theirs}\\) is not the one the workers run`));
  assert.match(refused.stderr, new RegExp(`worker backup1@${worker.child.pid} on \\S+: config ${mine}`));
  assert.match(refused.stderr, /hint: Run the command with the workers' config/);
  assert.equal(await hashOf(`${image}`), changed, 'the disk is untouched');
  assert.deepEqual(await asideImages(), [], 'nothing was moved aside');

  const schedules = await vmbackupWith(CONFIG_B, 'schedule', 'apply');
  assert.equal(schedules.exitCode, 2, schedules.stderr);
  assert.match(schedules.stderr, new RegExp(`refusing schedule apply: this command's config ${CONFIG_B} \\(fingerprint ${theirs}\\)`));
  const listed = await vmbackupWith(CONFIG_B, '-o', 'json', 'schedule', 'list');
  assert.deepEqual(JSON.parse(listed.stdout), [], 'no Schedule was created');

  const restored = await vmbackup('restore', vm, '--version', backup.versionUid!, '--yes');
  assert.equal(restored.exitCode, 0, restored.stderr);
  assert.equal(await hashOf(`${image}`), backedUp, 'by the workers config, the restore ran: byte-identical');
});
