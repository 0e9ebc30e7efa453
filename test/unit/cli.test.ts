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
  assert.match(r.stderr, /hint: Check that the Temporal frontend at 127\.0\.0\.1:1 is up \(the local stack: npm run stack:up\), or fix temporal\.address in /);
});

test('the fleet commands have --help and refuse bad input with exit 2 before connecting', async () => {
  for (const args of [['run-nightly', '--help'], ['schedule', '--help'], ['schedule', 'apply', '--help'], ['purge', '--help'], ['where', '--help'], ['summary', '--help'], ['status', '--help'], ['snapshots', '--help'], ['remove-invalids', '--help'], ['remove-unhandled', '--help']]) {
    const r = await run(...args);
    assert.equal(r.exitCode, 0, args.join(' '));
    assert.match(r.stdout, /Usage: vmbackup/);
  }
  // An address nothing listens on: any attempt to connect would exit 4, not 2.
  const file = join(dir, 'unreachable.yaml');
  writeFileSync(file, 'temporal:\n  address: 127.0.0.1:9\nhosts:\n  - name: backup1\n    backy2_config: x\n    state_dir: y\nworkloads:\n  vms:\n    pool: rbd\n');
  const cases: Array<[string[], RegExp]> = [
    [['schedule', 'trigger', 'backup1/nightly'], /'backup1\/nightly' is not a schedule id/],
    [['run-nightly', '--children-per-run', '0'], /--children-per-run must be a whole number/],
    [['run-nightly', '--workload', 'volumes'], /workloads\.volumes is not configured/],
    [['run-nightly', '--host', 'backup9'], /no backup host 'backup9'/],
  ];
  for (const [args, message] of cases) {
    const r = await run('--config', file, ...args);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('plan has --help and refuses bad input with exit 2 before connecting', async () => {
  const help = await run('plan', '--help');
  assert.equal(help.exitCode, 0);
  assert.match(help.stdout, /Usage: vmbackup plan/);
  const file = join(dir, 'plan-unreachable.yaml');
  writeFileSync(file, 'temporal:\n  address: 127.0.0.1:9\nhosts:\n  - name: backup1\n    backy2_config: x\n    state_dir: y\nworkloads:\n  vms:\n    pool: rbd\n');
  const cases: Array<[string[], RegExp]> = [
    [['plan', '--nights', '0'], /--nights '0': expected a whole number from 1 to 100/],
    [['plan', '--imbalance', 'lots'], /--imbalance 'lots': expected a share/],
    [['plan', '--workload', 'volumes'], /workloads\.volumes is not configured/],
    [['plan', '--host', 'backup9'], /no backup host 'backup9'/],
  ];
  for (const [args, message] of cases) {
    const r = await run('--config', file, ...args);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
