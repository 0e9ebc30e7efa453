// The pid files activities keep under a host's state_dir/run while a child
// (backy2) runs: tests use them to find that process and act mid-copy.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { config } from './stack.ts';

/** Waits (up to 60 s) for a pid file whose name starts with `prefix` on `host`, and returns the pid in it. */
export async function waitForChildPid(host: string, prefix: string): Promise<number> {
  const runDir = join(config.hosts.find((h) => h.name === host)!.state_dir, 'run');
  for (let i = 0; i < 600; i++) {
    const name = existsSync(runDir) ? readdirSync(runDir).find((f) => f.startsWith(prefix) && f.endsWith('.pid')) : undefined;
    if (name) {
      const pid = Number(readFileSync(join(runDir, name), 'utf8').split(/\s+/)[0]);
      if (pid > 0) return pid;
    }
    await sleep(100);
  }
  throw new Error(`no ${prefix}*.pid appeared on ${host} within 60 s`);
}
