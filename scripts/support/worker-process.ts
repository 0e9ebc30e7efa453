// Real worker processes (workers/backup-host.ts), started and stopped by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { LOCK_PER_QUEUE_ENV } from '../../workers/host-lock.ts';
import { ROOT } from './private-config.ts';

export interface WorkerProcess {
  host: string;
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/**
 * `lockPerQueue`: the local stack's stores are shared by every test file (each
 * on its own task queue) and the demo's workers, so a test's worker locks its
 * host per task queue; a test of the lock itself turns that off.
 */
export async function startWorker(host: string, configFile: string, extraArgs: string[] = [], { lockPerQueue = true } = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/backup-host.ts', '--host', host, '--config', configFile, '--log-level', 'WARN', ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [LOCK_PER_QUEUE_ENV]: lockPerQueue ? '1' : '' },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  const deadline = Date.now() + 60_000;
  while (!output.includes('polling')) {
    if (child.exitCode !== null) throw new Error(`worker ${host} exited at start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`worker ${host} did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
