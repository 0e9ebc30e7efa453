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
  const r = await execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--config', configFile, ...args], { cwd: ROOT, reject: false });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** `vmbackup … -o json`, parsed; fails loudly with the CLI's stderr when it did not exit 0. */
export async function vmbackupJson<T>(...args: string[]): Promise<T> {
  const r = await vmbackup('-o', 'json', ...args);
  if (r.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * What an operator does with a destructive command: `… --dry-run -o json`, read
 * the plan, then the same with `--yes --plan TOKEN`. Returns both runs; the dry
 * run must succeed and print a plan.
 */
export async function vmbackupConfirmed(configFile: string, ...args: string[]): Promise<{ plan: string; dryRun: CliRun; run: CliRun }> {
  const dryRun = await vmbackupWith(configFile, '-o', 'json', ...args, '--dry-run');
  if (dryRun.exitCode !== 0) throw new Error(`vmbackup ${args.join(' ')} --dry-run exited ${dryRun.exitCode}:\n${dryRun.stderr}`);
  const { plan } = JSON.parse(dryRun.stdout) as { plan?: string };
  if (!plan) throw new Error(`vmbackup ${args.join(' ')} --dry-run printed no plan:\n${dryRun.stdout}`);
  const run = await vmbackupWith(configFile, '-o', 'json', ...args, '--yes', '--plan', plan);
  return { plan, dryRun, run };
}
