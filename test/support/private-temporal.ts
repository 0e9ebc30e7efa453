// A Temporal dev server of one test file's own, for faults that take the server
// away: the shared stack's server (and the other test files on it) is never
// touched. Started by scripts/stack.sh temporal-up, the code path the stack's
// own server comes from (same binary, flags and search attributes), with its
// own SQLite file, a free port and no Web UI.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { ROOT } from './stack.ts';

export interface PrivateTemporal {
  address: string;
  /** The SQLite file the server keeps its state in; a restart reopens it. */
  dbFile: string;
  /** Starts the server (again, on the same database) and resolves once it serves, search attributes registered. */
  start(): Promise<void>;
  /** The running server's pid, from its pid file; undefined when it is not running. */
  pid(): number | undefined;
  /** Sends `signal` to the server by its pid and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the server if it runs and removes its folder. */
  dispose(): Promise<void>;
}

export async function privateTemporal(): Promise<PrivateTemporal> {
  const dir = mkdtempSync(join(tmpdir(), 'vmbackup-temporal-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const pidFile = join(dir, 'temporal.pid');
  const pid = () => {
    if (!existsSync(pidFile)) return undefined;
    const p = Number(readFileSync(pidFile, 'utf8').trim());
    return p > 0 && alive(p) ? p : undefined;
  };
  const server: PrivateTemporal = {
    address,
    dbFile: join(dir, 'temporal.db'),
    async start() {
      await execa('bash', [`${ROOT}scripts/stack.sh`, 'temporal-up'], {
        env: { VMBACKUP_TEMPORAL_DIR: dir, VMBACKUP_TEMPORAL_PORT: String(port), VMBACKUP_TEMPORAL_HEADLESS: '1' },
      });
    },
    pid,
    async kill(signal = 'SIGKILL') {
      const p = pid();
      if (p === undefined) return;
      process.kill(p, signal);
      while (alive(p)) await sleep(50);
    },
    async dispose() {
      await server.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Alive and not a zombie: a server started by a shell that has exited is nobody's child, and may never be reaped here. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
