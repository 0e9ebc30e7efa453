// The production Temporal stack (scripts/production/stack.sh: PostgreSQL, mTLS,
// Web UI), as a test file uses it: brought up when it is not running, and then
// stopped again at the end, so a test run leaves the machine as it found it.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { ROOT } from './stack.ts';

export interface ProductionStack {
  address: string;
  webUi: string;
  /** The auditors' Web UI: the same, write actions disabled. */
  auditorsUi: string;
  tlsDir: string;
  serverName: string;
  /** Stops the stack if this process started it; leaves a stack that was already up alone. */
  release(): Promise<void>;
}

const STACK = `${ROOT}scripts/stack.sh`;

export async function productionStack(): Promise<ProductionStack> {
  // status exits 0 only when PostgreSQL, the server and the UI all run.
  const wasUp = (await execa('bash', [STACK, 'status', '--production'], { reject: false })).exitCode === 0;
  // Idempotent: on a running stack it only checks (about a second); on a fresh
  // machine it builds the server first (minutes), so no timeout of its own here.
  const up = await execa('bash', [STACK, 'up', '--production'], { reject: false, all: true });
  if (up.exitCode !== 0) throw new Error(`scripts/stack.sh up --production failed (exit ${up.exitCode}):\n${up.all}`);
  const env = Object.fromEntries(
    readFileSync(`${ROOT}.stack/production/env`, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    address: env.VMBACKUP_PROD_TEMPORAL_ADDRESS!,
    webUi: env.VMBACKUP_PROD_TEMPORAL_UI!,
    auditorsUi: env.VMBACKUP_PROD_TEMPORAL_UI_AUDITORS!,
    tlsDir: env.VMBACKUP_PROD_TLS_DIR!,
    serverName: env.VMBACKUP_PROD_TLS_SERVER_NAME!,
    async release() {
      if (!wasUp) await execa('bash', [STACK, 'down', '--production']);
    },
  };
}
