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

/** A config whose Temporal nobody listens on: a command that tried to connect would exit 4, not 2. */
function unreachableConfig(name: string): string {
  const file = join(dir, name);
  writeFileSync(file, 'temporal:\n  address: 127.0.0.1:9\nhosts:\n  - name: backup1\n    backy2_config: x\n    state_dir: y\nworkloads:\n  vms:\n    pool: rbd\n');
  return file;
}

test('every subcommand\'s --help lists the global options: --config, -f/--format, -c/--column', async () => {
  for (const args of [['ls', '--help'], ['backup', '--help'], ['schedule', 'list', '--help'], ['snapshots', 'dangling', '--help']]) {
    const r = await run(...args);
    assert.equal(r.exitCode, 0, args.join(' '));
    const globals = r.stdout.slice(r.stdout.indexOf('Global Options:'));
    assert.match(globals, /^Global Options:/, args.join(' '));
    for (const option of [/--config <file>/, /-f, --format <format>.*\(choices:\s+"table", "json", "value", "csv"\)/s, /-c, --column <name>/]) assert.match(globals, option, args.join(' '));
  }
});

test('under -f json an error is one JSON object on stderr with type, message, hint and exit code', async () => {
  const usage = await run('-f', 'json', 'backup'); // `ls` alone is no usage error: `ls --host H` lists a host
  assert.equal(usage.exitCode, 2);
  assert.deepEqual(JSON.parse(usage.stderr.trim().split('\n').at(-1)!), { error: { type: 'UsageError', message: "missing required argument 'vm'", exitCode: 2 } });
  assert.doesNotMatch(usage.stderr, /run with --help/);

  const far = await run('--config', unreachableConfig('json-far.yaml'), 'ls', 'vm1', '-f', 'json');
  assert.equal(far.exitCode, 4);
  const { error } = JSON.parse(far.stderr.trim().split('\n').at(-1)!) as { error: { type: string; message: string; hint: string; exitCode: number } };
  assert.equal(error.type, 'TemporalUnavailableError');
  assert.match(error.message, /cannot reach Temporal at 127\.0\.0\.1:9/);
  assert.match(error.hint, /Check that the Temporal frontend/);
  assert.equal(error.exitCode, 4);
  assert.equal(far.stdout, '', 'nothing on stdout');
});

test('-f value|csv and -c only where a command lists; -c is no longer the config file', async () => {
  const file = unreachableConfig('listing.yaml');
  const value = await run('--config', file, '-f', 'value', 'backup', 'vm1');
  assert.equal(value.exitCode, 2, value.stderr);
  assert.match(value.stderr, /`backup` prints no listing: -f value is for listings/);
  const column = await run('--config', file, 'schedule', 'trigger', 'backup1/vms', '-c', 'id');
  assert.equal(column.exitCode, 2, column.stderr);
  assert.match(column.stderr, /`schedule trigger` prints no listing: -c\/--column is for listings/);
  // An old `-c FILE` is now a column name: the config comes from --config or VMBACKUP_CONFIG only.
  const old = await run('-c', file, 'backup', 'vm1');
  assert.equal(old.exitCode, 2, old.stderr);
  assert.match(old.stderr, /prints no listing: -c\/--column/);
  const both = await run('--config', file, '-f', 'json', '-o', 'table', 'ls', 'vm1');
  assert.equal(both.exitCode, 2);
  assert.match(both.stderr, /-f\/--format 'json' and -o\/--output 'table' disagree/);
});

test('every date option refuses an impossible day with exit 2 before connecting, naming the option and the forms', async () => {
  const file = unreachableConfig('dates.yaml');
  for (const args of [['status', '--since', '2026-02-30'], ['purge', '--as-of', '2026-02-30', '--dry-run'], ['purge-aside', '--as-of', 'soon', '--dry-run']]) {
    const r = await run('--config', file, ...args);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${args[1]} '${args[2]}': .*; accepted: 2026-11-20, 2026-11-20T10:00, .*yesterday, or a span ago: 90m, 12h, 3d, 2w`));
  }
  const help = await run('restore', '--help');
  assert.match(help.stdout, /--at <when>\s+the newest valid version made at or before then:\s+2026-11-20, 2026-11-20T10:00/);
});
