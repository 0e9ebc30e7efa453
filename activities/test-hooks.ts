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
// at restore.after-stop and restore.before-start; the host at purge.before-remove;
// the lock's workflow id at lock.busy (an operation found its disk held); the
// version uid at verify.before-second-read and drill.after-restore.
// See test/support/hold-points.ts.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';

export const HOLD_DIR_ENV = 'VMBACKUP_TEST_HOLD_DIR';

/** Every point an activity can park at; tests name them from here. */
export const HOLD_POINTS = [
  'backup.after-snapshot',
  'backup.after-diff',
  'backup.before-copy',
  'restore.after-stop',
  'restore.after-move-aside',
  'restore.before-restore',
  'restore.after-restore',
  'restore.before-start',
  'purge.before-remove',
  'lock.busy',
  'verify.before-second-read',
  'drill.after-restore',
] as const;
export type HoldPoint = (typeof HOLD_POINTS)[number];

/** Parks here while the point is armed for this key; returns at once otherwise (always, in production). */
export async function holdPoint(point: HoldPoint, key: string): Promise<void> {
  const dir = process.env[HOLD_DIR_ENV];
  if (!dir) return;
  const arm = join(dir, `${point}.arm`);
  if (!existsSync(arm)) return;
  const wanted = readFileSync(arm, 'utf8').trim();
  if (wanted && wanted !== key) return;
  rmSync(arm, { force: true });
  const release = join(dir, `${point}.release`);
  // Renamed into place whole: the test reads it the moment it appears.
  const held = join(dir, `${point}.held`);
  writeFileSync(`${held}.tmp`, JSON.stringify({ key, pid: process.pid }));
  renameSync(`${held}.tmp`, held);
  const ctx = inActivity();
  while (!existsSync(release)) {
    ctx?.heartbeat({ step: `held at ${point}` });
    await sleep(50, undefined, ctx ? { signal: ctx.cancellationSignal } : undefined);
  }
  rmSync(release, { force: true });
}

function inActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
