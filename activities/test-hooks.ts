// Hold points: how a test parks a worker at a named moment of an activity
// (after the snapshot, between "moved aside" and "restored", …) and lets it go
// when it has done what it wanted there: kill the worker, start a second
// operation, cancel. Deterministic, never a sleep.
//
// Off unless the worker's environment has VMBACKUP_TEST_HOLD_DIR (only tests
// set it). A test arms a point by writing `<dir>/<point>.arm` (its content, if
// any, is a key the point must match, e.g. an image name); the activity that
// reaches an armed point writes `<dir>/<point>.held` (the key and its pid) and
// waits, heartbeating, until `<dir>/<point>.release` exists. Each arm holds once:
// the activity removes the arm file as it parks. Keys: the image name; the VM id
// at restore.after-stop and restore.before-start; the host at purge.before-remove and purge.before-cleanup;
// the lock's workflow id at lock.busy (an operation found its disk held); the
// version uid at verify.before-second-read and drill.after-restore.
// The `*.during-copy` points park the copy itself: the first time backy2 reports
// a block done, its process is stopped (SIGSTOP) while held and continued on
// release, so a test acts with a half-made version on disk and no race against
// a fast copy; their .held file also names that process (`child`).
// See test/support/hold-points.ts.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { recordedPid } from './exec/orphans.ts';

export const HOLD_DIR_ENV = 'VMBACKUP_TEST_HOLD_DIR';

/** Every point an activity can park at; tests name them from here. */
export const HOLD_POINTS = [
  'backup.after-snapshot',
  'backup.after-diff',
  'backup.before-copy',
  'backup.during-copy',
  'restore.after-stop',
  'restore.after-move-aside',
  'restore.before-restore',
  'restore.during-copy',
  'restore.after-restore',
  'restore.before-start',
  'purge.before-remove',
  'purge.before-cleanup',
  'store.waits-for',
  'lock.busy',
  'verify.before-second-read',
  'drill.after-restore',
] as const;
export type HoldPoint = (typeof HOLD_POINTS)[number];

/**
 * Parks here while the point is armed for this key; returns at once otherwise (always, in production).
 * With `child`, that process is stopped while parked (see the `*.during-copy` points).
 */
export async function holdPoint(point: HoldPoint, key: string, child?: number): Promise<void> {
  const dir = process.env[HOLD_DIR_ENV];
  if (!dir) return;
  const arm = join(dir, `${point}.arm`);
  if (!existsSync(arm)) return;
  const wanted = readFileSync(arm, 'utf8').trim();
  if (wanted && wanted !== key) return;
  rmSync(arm, { force: true });
  const release = join(dir, `${point}.release`);
  if (child) await stopProcess(child); // before .held: the test finds it stopped
  // Renamed into place whole: the test reads it the moment it appears.
  const held = join(dir, `${point}.held`);
  writeFileSync(`${held}.tmp`, JSON.stringify({ key, pid: process.pid, child }));
  renameSync(`${held}.tmp`, held);
  const ctx = inActivity();
  try {
    while (!existsSync(release)) {
      ctx?.heartbeat({ step: `held at ${point}` });
      await sleep(50, undefined, ctx ? { signal: ctx.cancellationSignal } : undefined);
    }
  } finally {
    // Released or cancelled: the child goes on (and can then be killed by its owner).
    if (child) continueProcess(child);
  }
  rmSync(release, { force: true });
}

/**
 * A copy's hold point, called from its progress callback (which cannot wait):
 * holds the child whose pid `pidFile` records (activities/exec/run-command.ts)
 * while the activity keeps waiting on it. Once per arm; a no-op unless armed.
 */
export function holdCopy(point: HoldPoint, key: string, pidFile: string): void {
  if (!process.env[HOLD_DIR_ENV]) return;
  const child = recordedPid(pidFile);
  if (child === undefined) return; // the copy has just ended
  // A cancelled activity ends the hold with an abort: nothing to report, the child is continued.
  holdPoint(point, key, child).catch(() => undefined);
}

/** SIGSTOP, then waits until the kernel shows the process stopped (signals land asynchronously). */
async function stopProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const state = () => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return 'gone';
    }
  };
  while (!['T', 'gone', 'Z'].includes(state())) await sleep(5);
}

function continueProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // already gone
  }
}

function inActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
