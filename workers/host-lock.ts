// One worker per backup host: a second worker on the same state_dir or the
// same backy2 store (its metadata database or its data folder) would run
// backy2 writes beside the first one's, and could take the first one's live
// backy2 for an orphan and stop it. So a worker locks all three at start, and
// a second one refuses to start, naming the holder.
//
// A lock is a file holding the holder's pid and process start time: it dies
// with the process (a holder that is gone, or whose pid now names another
// process, is stale and taken over), even after SIGKILL. It is created whole
// (written aside, then linked into place, which fails if the name exists), so
// a reader never sees half a lock.
import { linkSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { backy2Setting } from '../activities/engine/backy2-config.ts';
import { sqliteMetaPath } from '../activities/engine/backy2-sqlite-meta.ts';
import { processStartTicks } from '../activities/exec/orphans.ts';
import type { LoadedConfig } from '../lib/config/load.ts';
import type { HostConfig } from '../lib/config/schema.ts';
import { HostLockedError } from '../lib/errors.ts';

/**
 * Tests only: the local stack's stores are shared by every test file, each on
 * its own task queue (and by the demo's workers), so with this set a lock is
 * per task queue as well. Two workers of one test still refuse each other.
 */
export const LOCK_PER_QUEUE_ENV = 'VMBACKUP_TEST_LOCK_PER_QUEUE';

interface Holder {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat), to tell a reused pid. */
  start: string;
  host: string;
  config: string;
  taskQueue: string;
  since: string;
}

/** Locks this host's state_dir and backy2 store; returns the release (also run when the process exits). */
export function lockHost(config: LoadedConfig, host: HostConfig): () => void {
  const me: Holder = { pid: process.pid, start: processStartTicks(process.pid) ?? '', host: host.name, config: config.source, taskQueue: config.temporal.task_queue, since: new Date().toISOString() };
  const suffix = process.env[LOCK_PER_QUEUE_ENV] ? `.${config.temporal.task_queue}` : '';
  const held: string[] = [];
  const release = () => {
    for (const file of held.splice(0)) if (readHolder(file)?.pid === me.pid) rmSync(file, { force: true });
  };
  try {
    for (const { what, file } of lockFiles(host, suffix)) {
      acquire(file, me, what);
      held.push(file);
    }
  } catch (err) {
    release();
    throw err;
  }
  process.once('exit', release);
  return release;
}

/** What is locked, and where its lock file lives (beside it, so every config that names it finds the same file). */
function lockFiles(host: HostConfig, suffix: string): Array<{ what: string; file: string }> {
  mkdirSync(host.state_dir, { recursive: true });
  const locks = [{ what: `state_dir ${host.state_dir}`, file: join(realpathSync(host.state_dir), `vmbackup-worker${suffix}.lock`) }];
  const db = sqliteMetaPath(host.backy2_config);
  if (db) locks.push({ what: `backy2 metadata ${db}`, file: `${canonical(db)}.vmbackup-worker${suffix}.lock` });
  const data = backy2Setting(host.backy2_config, 'DataBackend', 'path');
  if (data) locks.push({ what: `backy2 data ${data}`, file: `${canonical(data.replace(/\/+$/, ''))}.vmbackup-worker${suffix}.lock` });
  return locks;
}

/** The path with its folder's symlinks resolved, so two spellings of one store meet at one lock. */
function canonical(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

function acquire(file: string, me: Holder, what: string): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    const aside = `${file}.${me.pid}.new`;
    writeFileSync(aside, `${JSON.stringify(me)}\n`);
    try {
      linkSync(aside, file);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(aside, { force: true });
    }
    const holder = readHolder(file);
    if (holder && alive(holder)) throw lockedBy(holder, me, what, file);
    takeOver(file, me);
  }
  throw new HostLockedError(`backup host ${me.host}: could not lock ${what} (${file}): it changed hands 5 times`, 'Start one worker per backup host, one at a time.');
}

/** Moves a stale lock out of the way; if it turns out to be live (another starter took it meanwhile), puts it back. */
function takeOver(file: string, me: Holder): void {
  const stale = `${file}.${me.pid}.stale`;
  try {
    renameSync(file, stale);
  } catch {
    return; // someone else moved it first: try again
  }
  const moved = readHolder(stale);
  if (moved && alive(moved)) {
    try {
      linkSync(stale, file);
    } catch {
      // a third starter took the name meanwhile; the next look names it
    }
  }
  rmSync(stale, { force: true });
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined; // gone, or not a lock we can read: stale
  }
}

function alive(holder: Holder): boolean {
  return Number.isInteger(holder.pid) && holder.pid !== process.pid && processStartTicks(holder.pid) === holder.start;
}

function lockedBy(holder: Holder, me: Holder, what: string, file: string): HostLockedError {
  return new HostLockedError(
    `backup host ${me.host}: ${what} is held by another worker: pid ${holder.pid} (worker of backup host ${holder.host}, config ${holder.config}, task queue ${holder.taskQueue}, since ${holder.since}; lock ${file})`,
    `Run one worker per backup host. Stop that worker first (kill ${holder.pid}), or give each backup host its own state_dir and backy2 store.`,
  );
}
