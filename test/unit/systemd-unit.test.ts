// deploy/systemd/vmbackup-worker@.service, checked offline: there is no running
// systemd here, so `systemd-analyze verify` reads the unit from a scratch root
// (--root) that holds it, the command its ExecStart names (the real
// bin/vmbackup-worker.js, at its installed path), and this machine's own
// systemd units (the targets the unit is ordered against). Then the settings
// the deployment relies on: drain on stop, priorities and caps, the user.
import assert from 'node:assert/strict';
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { ROOT } from '../../scripts/support/private-config.ts';

const UNIT = 'vmbackup-worker@.service';
const UNIT_FILE = join(ROOT, 'deploy/systemd', UNIT);
const INSTANCE = 'vmbackup-worker@backup1.service';
/** Where the install guide puts the checkout; ExecStart's command lives under it. */
const INSTALL_DIR = '/opt/vmbackup';
const SYSTEM_UNITS = '/usr/lib/systemd/system';

const scratch = mkdtempSync(join(tmpdir(), 'vmbackup-systemd-'));
before(async () => {
  const found = await execa('systemd-analyze', ['--version'], { reject: false });
  if (found.failed) assert.fail(`systemd-analyze does not run (${String(found.message).split('\n')[0]}): install it with scripts/install-deps.sh apt (Debian package systemd)`);
  assert.ok(existsSync(SYSTEM_UNITS), `${SYSTEM_UNITS} is missing: install the Debian package systemd`);
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A root with the unit (as given), ExecStart's command and the system's units; returns its path. */
function makeRoot(name: string, unitText: string): string {
  const root = join(scratch, name);
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  writeFileSync(join(root, 'etc/systemd/system', UNIT), unitText);
  const command = execStart(unitText)[0]!;
  assert.ok(command.startsWith(`${INSTALL_DIR}/`), `ExecStart runs ${command}, not a command of the install in ${INSTALL_DIR}`);
  const inRepo = join(ROOT, command.slice(INSTALL_DIR.length + 1));
  mkdirSync(join(root, dirname(command)), { recursive: true });
  cpSync(inRepo, join(root, command));
  mkdirSync(join(root, dirname(SYSTEM_UNITS)), { recursive: true });
  cpSync(SYSTEM_UNITS, join(root, SYSTEM_UNITS), { recursive: true });
  return root;
}

const verify = (root: string) => execa('systemd-analyze', ['verify', `--root=${root}`, '--man=no', '--generators=no', INSTANCE], { reject: false });

/** `[Service]` settings: key → every value given (a key may repeat). */
function settings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}
const one = (s: Map<string, string[]>, key: string) => s.get(key)?.at(-1);
const execStart = (text: string) => one(settings(text), 'ExecStart')!.split(/\s+/);

test('systemd-analyze verify finds nothing to say about the unit (no error, no warning)', async () => {
  const text = readFileSync(UNIT_FILE, 'utf8');
  const { exitCode, stdout, stderr } = await verify(makeRoot('ok', text));
  assert.equal(exitCode, 0, stderr);
  assert.equal(`${stdout}${stderr}`.trim(), '', 'verify printed warnings');
});

test('the check bites: a misspelt key, or an ExecStart command that is not there, is reported', async () => {
  const text = readFileSync(UNIT_FILE, 'utf8');
  const typo = await verify(makeRoot('typo', text.replace(/^KillMode=mixed$/m, 'KilMode=mixed')));
  assert.match(typo.stderr, /Unknown key 'KilMode'/);
  const root = makeRoot('nocommand', text);
  rmSync(join(root, execStart(text)[0]!));
  const missing = await verify(root);
  assert.notEqual(missing.exitCode, 0);
  assert.match(missing.stderr, /is not executable|No such file/);
});

test('hardening: systemd-analyze security rates the unit\'s exposure at 3.0 or less', async () => {
  const root = makeRoot('security', readFileSync(UNIT_FILE, 'utf8'));
  const r = await execa('systemd-analyze', ['security', '--offline=yes', `--root=${root}`, '--threshold=30', '--no-pager', INSTANCE], { reject: false });
  assert.equal(r.exitCode, 0, `exposure over 3.0:\n${r.stdout.split('\n').slice(-3).join('\n')}`);
});

test('ExecStart is the installed worker command, executable, with the host from the instance name', () => {
  const argv = execStart(readFileSync(UNIT_FILE, 'utf8'));
  assert.equal(argv[0], `${INSTALL_DIR}/bin/vmbackup-worker.js`);
  accessSync(join(ROOT, 'bin/vmbackup-worker.js'), constants.X_OK);
  assert.match(readFileSync(join(ROOT, 'bin/vmbackup-worker.js'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  assert.deepEqual(argv.slice(1, 5), ['--host', '%i', '--log-format', 'json']);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin['vmbackup-worker'], './bin/vmbackup-worker.js');
});

test('stop drains: SIGTERM to the worker alone, and time for the drain and the clean-up before SIGKILL', () => {
  const s = settings(readFileSync(UNIT_FILE, 'utf8'));
  assert.equal(one(s, 'KillMode'), 'mixed');
  assert.equal(one(s, 'KillSignal'), 'SIGTERM');
  const drain = Number(/--drain-seconds (\d+)/.exec(one(s, 'ExecStart')!)?.[1]);
  const stop = /^(\d+)min$/.exec(one(s, 'TimeoutStopSec') ?? '');
  assert.ok(stop, 'TimeoutStopSec in minutes');
  assert.ok(Number(stop[1]) * 60 >= drain + 120, `TimeoutStopSec ${one(s, 'TimeoutStopSec')} leaves under 2 minutes of clean-up after a ${drain} s drain`);
  assert.equal(one(s, 'Restart'), 'on-failure');
  assert.equal(one(s, 'RestartPreventExitStatus'), '2', 'a usage or config error (exit 2) is not restarted');
});

test('a night cannot starve the host: low priorities, weights and caps; a dedicated user; site settings from files', () => {
  const s = settings(readFileSync(UNIT_FILE, 'utf8'));
  assert.ok(Number(one(s, 'Nice')) >= 5);
  assert.equal(one(s, 'IOSchedulingClass'), 'best-effort');
  assert.ok(Number(one(s, 'CPUWeight')) < 100 && Number(one(s, 'IOWeight')) < 100, 'weights below the default 100');
  for (const key of ['CPUQuota', 'MemoryMax', 'MemoryHigh', 'TasksMax']) assert.ok(one(s, key), `${key} is not set`);
  assert.equal(one(s, 'User'), 'vmbackup');
  assert.ok(s.get('EnvironmentFile')?.some((f) => f === '-/etc/vmbackup/worker-%i.env'));
  assert.equal(one(s, 'StateDirectory'), 'vmbackup');
  assert.equal(s.get('MemoryDenyWriteExecute'), undefined, 'V8 needs writable code pages');
});
