// The test side of activities/test-hooks.ts: arm a point, wait until a worker
// is parked there, do something (kill it, start a rival, cancel), release it.
// Workers started after `useHoldPoints()` inherit the hold folder.
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOLD_DIR_ENV, type HoldPoint } from '../../activities/test-hooks.ts';

export interface Held {
  key: string;
  /** The worker process parked there. */
  pid: number;
  /** At a `*.during-copy` point: the copying process, stopped while held. */
  child?: number;
}

export interface HoldPoints {
  /** Parks the next activity that reaches `point` (for `key` only, when given). */
  arm(point: HoldPoint, key?: string): void;
  /** Resolves once a worker is parked at `point` (`child`: the copy it stopped there); fails after `timeoutMs` with the point named. */
  held(point: HoldPoint, timeoutMs?: number): Promise<Held>;
  /** Lets the parked activity go on. */
  release(point: HoldPoint): void;
  /** Removes the folder (and unsets the variable). */
  dispose(): void;
}

/** A private hold folder for this test file, exported to every worker it starts from now on. */
export function useHoldPoints(): HoldPoints {
  const dir = mkdtempSync(join(tmpdir(), 'vmbackup-hold-'));
  process.env[HOLD_DIR_ENV] = dir;
  const file = (point: HoldPoint, ext: string) => join(dir, `${point}.${ext}`);
  return {
    arm(point, key = '') {
      rmSync(file(point, 'held'), { force: true });
      rmSync(file(point, 'release'), { force: true });
      writeFileSync(file(point, 'arm'), key);
    },
    held(point, timeoutMs = 120_000) {
      // Woken by the folder's change events (the worker renames the file into place whole),
      // looked at once more after the watch starts, so a file written just before is not missed.
      const held = file(point, 'held');
      return new Promise((resolve, reject) => {
        const look = () => {
          if (!existsSync(held)) return;
          stop();
          resolve(JSON.parse(readFileSync(held, 'utf8')) as Held);
        };
        const watcher = watch(dir, look);
        const timer = setTimeout(() => {
          stop();
          reject(new Error(`no worker reached hold point ${point} within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        const stop = () => {
          watcher.close();
          clearTimeout(timer);
        };
        look();
      });
    },
    release(point) {
      rmSync(file(point, 'held'), { force: true });
      writeFileSync(file(point, 'release'), '');
    },
    dispose() {
      delete process.env[HOLD_DIR_ENV];
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
