// `vmbackup check` when the check itself cannot run: Nagios's UNKNOWN (exit 3),
// never an exit code a monitoring system would read as the hosts' state.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vmbackup-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, reject: false });
const far = join(dir, 'far.yaml');
writeFileSync(far, 'temporal:\n  address: 127.0.0.1:1\nhosts:\n  - name: backup1\n    backy2_config: x\n    state_dir: y\nworkloads:\n  vms:\n    pool: rbd\n');

test('Temporal unreachable: one UNKNOWN line on stdout, exit 3', async () => {
  const r = await run('--config', far, 'check');
  assert.equal(r.exitCode, 3, r.stderr);
  assert.match(r.stdout, /^UNKNOWN: cannot reach Temporal at 127\.0\.0\.1:1/);
  assert.equal(r.stdout.trim().split('\n').length, 1);
});

test('-o json says UNKNOWN with the error', async () => {
  const r = await run('--config', far, '-o', 'json', 'check');
  assert.equal(r.exitCode, 3);
  const out = JSON.parse(r.stdout) as { status: string; exitCode: number; error: string };
  assert.equal(out.status, 'UNKNOWN');
  assert.equal(out.exitCode, 3);
  assert.match(out.error, /cannot reach Temporal/);
});

test('an unreadable config or an unknown host is UNKNOWN too', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'hosts: []\n');
  const r = await run('--config', bad, 'check');
  assert.equal(r.exitCode, 3);
  assert.match(r.stdout, /^UNKNOWN: .*bad\.yaml: invalid configuration/);
  const host = await run('--config', far, 'check', '--host', 'nosuchhost');
  assert.equal(host.exitCode, 3);
  assert.match(host.stdout, /^UNKNOWN: .*far\.yaml: no backup host 'nosuchhost' \(known: backup1\)/);
});

test('check --help names the Nagios exit codes', async () => {
  const r = await run('check', '--help');
  assert.equal(r.exitCode, 0);
  assert.match(r.stdout, /0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN/);
});
