// The CLI refuses bad input before it connects anywhere, with exit codes
// scripts can trust, and every command has --help.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vmbackup-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, reject: false });

test('--help works for the command and every subcommand', async () => {
  for (const args of [['--help'], ['backup', '--help'], ['ls', '--help']]) {
    const r = await run(...args);
    assert.equal(r.exitCode, 0, args.join(' '));
    assert.match(r.stdout, /Usage: vmbackup/);
  }
});

test('a config file with an unknown key or a wrong type: exit 2, the file, key path and expectation named', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'hosts:\n  - name: backup1\n    backy2_config: x\n    state_dir: y\n    colour: red\nworkloads:\n  vms:\n    pool: rbd\n    live_for_days: "8"\n');
  const r = await run('--config', file, 'backup', 'vm1');
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, new RegExp(`${file}: invalid configuration`));
  assert.match(r.stderr, /Unrecognized key: "colour"\s+→ at hosts\[0\]/);
  assert.match(r.stderr, /expected number, received string\s+→ at workloads\.vms\.live_for_days/);
});

test('an unknown host or output format is refused with exit 2', async () => {
  const host = await run('backup', 'vm1', '--host', 'nosuchhost');
  assert.equal(host.exitCode, 2);
  assert.match(host.stderr, /no backup host 'nosuchhost' \(known: backup1, backup2\)/);
  const output = await run('-o', 'yaml', 'ls', 'vm1');
  assert.equal(output.exitCode, 2);
  assert.match(output.stderr, /'yaml' is invalid/);
});

test('an unreachable Temporal gives exit 4 and says what to do', async () => {
  const file = join(dir, 'far.yaml');
  writeFileSync(file, 'temporal:\n  address: 127.0.0.1:1\nhosts:\n  - name: backup1\n    backy2_config: x\n    state_dir: y\nworkloads:\n  vms:\n    pool: rbd\n');
  const r = await run('--config', file, 'ls', 'vm1');
  assert.equal(r.exitCode, 4, r.stderr);
  assert.match(r.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
  assert.match(r.stderr, /hint: Start the local stack/);
});
