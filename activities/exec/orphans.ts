// A worker killed mid-activity leaves its child running (re-parented to init).
// The pid file written by runCommand lets the retry find that orphan and stop it
// before it starts again, so the two never write the same version side by side.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), to tell a reused pid from ours. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined; // a zombie has already exited
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The pid runCommand recorded in `pidFile`, if the file is there. */
export function recordedPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/**
 * Stops the process recorded in `pidFile` if it is still the same process
 * (same start time). Returns the pid it stopped, or undefined if none ran.
 */
export async function reapOrphan(pidFile: string, log?: (msg: string) => void): Promise<number | undefined> {
  if (!existsSync(pidFile)) return undefined;
  const [pidText, ticks] = readFileSync(pidFile, 'utf8').trim().split(/\s+/);
  const pid = Number(pidText);
  const alive = () => {
    const now = processStartTicks(pid);
    return now !== undefined && (ticks === undefined || now === ticks);
  };
  if (!Number.isInteger(pid) || pid <= 1 || !alive()) {
    rmSync(pidFile, { force: true });
    return undefined;
  }
  log?.(`stopping orphaned process ${pid} left by an earlier attempt`);
  for (const [signal, waitMs] of [['SIGTERM', 5_000], ['SIGKILL', 10_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      break; // already gone
    }
    const deadline = Date.now() + waitMs;
    while (alive() && Date.now() < deadline) await sleep(100);
    if (!alive()) break;
  }
  if (alive()) throw new Error(`orphaned process ${pid} (from ${pidFile}) would not stop`);
  rmSync(pidFile, { force: true });
  return pid;
}
