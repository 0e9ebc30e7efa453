// The worker lock: a lock whose holder lives is refused with its pid; one whose
// holder is gone, or whose pid now names another process (pid reuse), is taken
// over; release removes only our own lock files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { processStartTicks } from '../../activities/exec/orphans.ts';
import type { LoadedConfig } from '../../lib/config/load.ts';
import type { HostConfig } from '../../lib/config/schema.ts';
import { HostLockedError } from '../../lib/errors.ts';
import { lockHost } from '../../workers/host-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'vmbackup-lock-'));
const sleeper = spawn('sleep', ['600']);
after(() => {
  sleeper.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

mkdirSync(join(dir, 'store'));
writeFileSync(join(dir, 'backy.cfg'), `[MetaBackend]\nengine: sqlite:///${dir}/store/backy.sqlite\n\n[DataBackend]\npath: ${dir}/store/data\n`);
const host = { name: 'backup1', backy2_config: join(dir, 'backy.cfg'), state_dir: join(dir, 'state') } as HostConfig;
const config = { source: join(dir, 'config.yaml'), temporal: { task_queue: 'vmbackup' } } as LoadedConfig;
const STATE_LOCK = join(dir, 'state', 'vmbackup-worker.lock');
const DB_LOCK = join(dir, 'store', 'backy.sqlite.vmbackup-worker.lock');

const holder = (pid: number, start: string) => JSON.stringify({ pid, start, host: 'backup7', config: '/etc/other.yaml', taskQueue: 'vmbackup', since: '2026-12-01T00:00:00Z' });

test('a live holder is refused with its pid; a gone one and a reused pid are taken over; release removes our locks', async () => {
  mkdirSync(join(dir, 'state'));
  const pid = sleeper.pid!;
  await once(sleeper, 'spawn');
  writeFileSync(DB_LOCK, holder(pid, processStartTicks(pid)!));
  assert.throws(
    () => lockHost(config, host),
    (err: unknown) => err instanceof HostLockedError && err.message.includes(`backy2 metadata ${dir}/store/backy.sqlite is held by another worker: pid ${pid} (worker of backup host backup7, config /etc/other.yaml`),
  );
  assert.equal(existsSync(STATE_LOCK), false, 'the state_dir lock taken first was let go again');

  writeFileSync(DB_LOCK, holder(pid, '1')); // the pid lives, but is another process than the one that locked
  writeFileSync(STATE_LOCK, holder(2 ** 22 + 1, '1')); // no such process
  const release = lockHost(config, host);
  for (const file of [STATE_LOCK, DB_LOCK]) assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
  release();
  assert.equal(existsSync(STATE_LOCK) || existsSync(DB_LOCK), false);
});
