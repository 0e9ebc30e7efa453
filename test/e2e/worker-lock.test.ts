// One worker per backup host: a second worker of the same host (same state_dir),
// or of another host pointing at the same backy2 store or the same state_dir,
// refuses to start and names the process that holds it. The lock dies with its
// holder: stopped by pid, or SIGKILLed, a new worker starts.
//
// These workers lock without the per-queue scope other tests use, on a
// state_dir and a backy2 store of this file's own (paths only: a worker reads
// its store's paths from the backy2 config at start, and nothing here backs up).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { LOCK_PER_QUEUE_ENV } from '../../workers/host-lock.ts';
import { config, CONFIG_FILE, ROOT } from '../support/stack.ts';

const dir = `${ROOT}.stack/test/worker-lock-${process.pid}`;
const workers: WorkerProcess[] = [];
after(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A backy2 config like the stack's backup1 one, its metadata and data under `store`. */
function storeConfig(name: string, store: string): string {
  const stack = config.hosts[0]!;
  const text = readFileSync(stack.backy2_config, 'utf8')
    .replace(/^engine: .*$/m, `engine: sqlite:///${dir}/${store}/backy.sqlite`)
    .replace(/^path: .*$/m, `path: ${dir}/${store}/data`);
  mkdirSync(`${dir}/${store}`, { recursive: true });
  writeFileSync(`${dir}/${name}`, text);
  return `${dir}/${name}`;
}

/** This file's private config with these hosts (the others' assignments moved to the first). */
function configWith(name: string, hosts: Array<{ name: string; backy2_config: string; state_dir: string }>): string {
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  const file = `${dir}/${name}`;
  writeFileSync(file, yaml.dump({ ...base, hosts, project_assignments: { default: hosts[0]!.name } }));
  return file;
}

mkdirSync(dir, { recursive: true });
const CONFIG_A = configWith('a.yaml', [{ name: 'backup1', backy2_config: storeConfig('store1.cfg', 'store1'), state_dir: `${dir}/state1` }]);
const CONFIG_B = configWith('b.yaml', [
  { name: 'backup1', backy2_config: storeConfig('store1.cfg', 'store1'), state_dir: `${dir}/state1` },
  // another host, another state_dir, another backy2 config file: but the same store
  { name: 'backup9', backy2_config: storeConfig('same-store-as-1.cfg', 'store1'), state_dir: `${dir}/state9` },
  // another host and store, but backup1's state_dir
  { name: 'backup8', backy2_config: storeConfig('store8.cfg', 'store8'), state_dir: `${dir}/state1` },
]);

const start = async (host: string, configFile: string) => {
  const w = await startWorker(host, configFile, [], { lockPerQueue: false });
  workers.push(w);
  return w;
};

/** A worker that should refuse: it exits on its own, before it connects to anything. */
const refusedStart = (host: string, configFile: string) => execa(process.execPath, ['--import', 'tsx', 'workers/backup-host.ts', '--host', host, '--config', configFile], { cwd: ROOT, reject: false, timeout: 60_000, env: { [LOCK_PER_QUEUE_ENV]: '' } });

test('a second worker of the same host, or of the same store or state_dir, refuses to start, naming the holder', { timeout: 180_000 }, async () => {
  const first = await start('backup1', CONFIG_A);

  const twin = await refusedStart('backup1', CONFIG_A);
  assert.equal(twin.exitCode, 1, twin.stderr);
  assert.match(twin.stderr, new RegExp(`backup host backup1: state_dir ${dir}/state1 is held by another worker: pid ${first.child.pid} \\(worker of backup host backup1, config ${CONFIG_A}`));
  assert.match(twin.stderr, new RegExp(`kill ${first.child.pid}`));

  const sameStore = await refusedStart('backup9', CONFIG_B);
  assert.equal(sameStore.exitCode, 1, sameStore.stderr);
  assert.match(sameStore.stderr, new RegExp(`backup host backup9: backy2 metadata ${dir}/store1/backy.sqlite is held by another worker: pid ${first.child.pid} \\(worker of backup host backup1`));

  const sameStateDir = await refusedStart('backup8', CONFIG_B);
  assert.equal(sameStateDir.exitCode, 1, sameStateDir.stderr);
  assert.match(sameStateDir.stderr, new RegExp(`backup host backup8: state_dir ${dir}/state1 is held by another worker: pid ${first.child.pid}`));

  assert.equal(first.child.exitCode, null, 'the first worker runs on, untouched');
  assert.match(first.output(), /polling/);

  // Stopped by its pid, it lets go; so does one killed with no chance to clean up.
  await first.stop('SIGTERM');
  const next = await start('backup9', CONFIG_B);
  await next.stop('SIGKILL');
  const third = await start('backup1', CONFIG_A);
  await third.stop();
});
