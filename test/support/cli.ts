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
