// Runs the real `vmbackup` CLI as an operator would, and returns what it printed.
import { execa } from 'execa';
import { CONFIG_FILE, ROOT } from './stack.ts';

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function vmbackup(...args: string[]): Promise<CliRun> {
  return vmbackupWith(CONFIG_FILE, ...args);
}

/** The CLI with another config file (a test that needs other settings). */
export async function vmbackupWith(configFile: string, ...args: string[]): Promise<CliRun> {
  return spawnVmbackupWith(configFile, ...args).done;
}

export interface RunningCli {
  /** Resolves once the CLI has printed a line matching `pattern` on stderr (it is that far). */
  stderrShows(pattern: RegExp): Promise<void>;
  done: Promise<CliRun>;
}

/** The CLI started and left running, for a test that acts while it waits (watches a workflow). */
export function spawnVmbackupWith(configFile: string, ...args: string[]): RunningCli {
  const child = execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--config', configFile, ...args], { cwd: ROOT, reject: false });
  let stderr = '';
  const waiting: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of waiting.filter((x) => x.pattern.test(stderr))) w.resolve();
  });
  const done = child.then((r) => ({ exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }));
  return {
    stderrShows: (pattern) =>
      pattern.test(stderr)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiting.push({ pattern, resolve })),
            done.then((r) => {
              if (!pattern.test(r.stderr)) throw new Error(`the CLI exited ${r.exitCode} without printing ${pattern} on stderr:\n${r.stderr}`);
            }),
          ]),
    done,
  };
}

/** `vmbackup … -f json`, parsed; fails loudly with the CLI's stderr when it did not exit 0. */
export async function vmbackupJson<T>(...args: string[]): Promise<T> {
  const r = await vmbackup('-f', 'json', ...args);
  if (r.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * What an operator does with a destructive command: `… --dry-run -f json`, read
 * the plan, then the same with `--yes --plan TOKEN`. Returns both runs; the dry
 * run must succeed and print a plan.
 */
export async function vmbackupConfirmed(configFile: string, ...args: string[]): Promise<{ plan: string; dryRun: CliRun; run: CliRun }> {
  const dryRun = await vmbackupWith(configFile, '-f', 'json', ...args, '--dry-run');
  if (dryRun.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} --dry-run exited ${dryRun.exitCode}:\n${dryRun.stderr}`);
  const { plan } = JSON.parse(dryRun.stdout) as { plan?: string };
  if (!plan) throw new Error(`vmbackup ${args.join(' ')} --dry-run printed no plan:\n${dryRun.stdout}`);
  const run = await vmbackupWith(configFile, '-f', 'json', ...args, '--yes', '--plan', plan);
  return { plan, dryRun, run };
}
