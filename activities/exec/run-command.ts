// The one way this project runs an external program: execa with an argv array
// (never a shell), killed on cancellation, with its stderr tail in the error.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { CommandError, CommandStalledError } from '../../lib/errors.ts';
import { processStartTicks } from './orphans.ts';

export interface RunOptions {
  /** Aborting it kills the child (SIGTERM, then SIGKILL after 5 s). */
  cancelSignal?: AbortSignal | undefined;
  /** Called for each line the child prints on stdout or stderr (split on \n and \r). */
  onLine?: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
  /** Where to record the child's pid while it runs, so a later attempt can find an orphan. */
  pidFile?: string | undefined;
  env?: Record<string, string> | undefined;
  /** Give up after this many ms. */
  timeoutMs?: number | undefined;
  /**
   * Kill the child when it prints no line for this many ms, and fail with
   * CommandStalledError. For copies whose progress lines stop only when they
   * are stuck: a Ceph OSD that hangs without being marked down leaves its
   * reads waiting for ever, while the worker itself goes on heartbeating.
   */
  stallMs?: number | undefined;
  log?: ((message: string, meta?: Record<string, unknown>) => void) | undefined;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Shell-style rendering of an argv, for logs and dry runs only. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

export async function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const argv = [file, ...args];
  const started = Date.now();
  options.log?.(`$ ${formatArgv(argv)}`);
  const child = execa(file, args, {
    cancelSignal: options.cancelSignal,
    forceKillAfterDelay: 5000,
    timeout: options.timeoutMs,
    reject: false,
    env: options.env,
    stdin: 'ignore',
  });
  if (options.pidFile && child.pid !== undefined) {
    mkdirSync(dirname(options.pidFile), { recursive: true });
    // The start time makes the record name exactly this process, even after pid reuse.
    writeFileSync(options.pidFile, `${child.pid} ${processStartTicks(child.pid) ?? ''}\n`);
  }
  const watchdog = options.stallMs ? stallWatchdog(options.stallMs, () => child.kill('SIGKILL')) : undefined;
  if (options.onLine || watchdog) {
    for (const stream of ['stdout', 'stderr'] as const) {
      let pending = '';
      child[stream]?.on('data', (chunk: Buffer) => {
        const parts = (pending + chunk.toString('utf8')).split(/\r\n|\r|\n/);
        pending = parts.pop() ?? '';
        for (const line of parts) {
          if (!line) continue;
          watchdog?.progressed();
          options.onLine?.(line, stream);
        }
      });
    }
  }
  const result = await child.finally(() => watchdog?.stop());
  if (options.pidFile) rmSync(options.pidFile, { force: true });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (result.failed) {
    // Cancelled by its owner (a cancelled Temporal activity): surface the owner's reason, so the
    // activity ends as cancelled rather than as a failed command.
    if (result.isCanceled && options.cancelSignal?.reason instanceof Error) throw options.cancelSignal.reason;
    const tail = tailLines(stderr || stdout, 8);
    if (watchdog?.fired) {
      throw new CommandStalledError(
        `\`${formatArgv(argv)}\` printed nothing for ${options.stallMs! / 1000} s and was killed: ${lastMeaningfulLine(tail)}`,
        argv,
        result.exitCode,
        tail,
      );
    }
    const why = result.isCanceled
      ? 'cancelled'
      : result.timedOut
        ? `timed out after ${options.timeoutMs} ms`
        : result.signal
          ? `killed by ${result.signal}`
          : `exit ${result.exitCode}`;
    throw new CommandError(`\`${formatArgv(argv)}\` failed (${why}): ${lastMeaningfulLine(tail)}`, argv, result.exitCode, tail);
  }
  return { stdout, stderr, durationMs: Date.now() - started };
}

/** A timer that fires `kill` once no progress was reported for `ms`. */
function stallWatchdog(ms: number, kill: () => void) {
  let timer: NodeJS.Timeout;
  const state = {
    fired: false,
    progressed() {
      clearTimeout(timer);
      timer = setTimeout(() => {
        state.fired = true;
        kill(); // SIGKILL: a process stopped in the kernel (or by SIGSTOP) ignores SIGTERM until it runs again
      }, ms);
    },
    stop: () => clearTimeout(timer),
  };
  state.progressed();
  return state;
}

function tailLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.findLast((l) => /error|fail|no such|not found|exist/i.test(l)) ?? lines.at(-1) ?? '(no output)';
}
