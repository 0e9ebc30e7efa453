// `vmbackup --version` and `backup-host.ts --version`: the package version, the
// commit when it can be known (this checkout's HEAD, or VMBACKUP_COMMIT as the
// worker image sets it), and never a failure where there is no git at all.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { wantsVersion } from '../../cli/version-flag.ts';
import { ROOT } from '../../scripts/support/private-config.ts';

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const head = async () => (await execa('git', ['-C', ROOT, 'rev-parse', 'HEAD'])).stdout.trim();
/** Runs a command of ours from `/` (not the checkout), as an installed command runs. */
const run = (script: string, env: Record<string, string> = {}) =>
  execa(process.execPath, [join(ROOT, script), '--version'], { cwd: '/', reject: false, env: { ...process.env, VMBACKUP_COMMIT: '', ...env }, extendEnv: false });

for (const script of ['bin/vmbackup.js', 'bin/vmbackup-worker.js']) {
  test(`${script} --version: the version and this checkout's commit, from any folder`, async () => {
    const r = await run(script);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, `vmbackup ${version} (commit ${(await head()).slice(0, 12)})`);
  });
}

test('the commit the image was built from (VMBACKUP_COMMIT) wins; a malformed one is ignored', async () => {
  assert.equal((await run('bin/vmbackup-worker.js', { VMBACKUP_COMMIT: '0123456789abcdef0123' })).stdout, `vmbackup ${version} (commit 0123456789ab)`);
  assert.equal((await run('bin/vmbackup.js', { VMBACKUP_COMMIT: '$(reboot)' })).stdout, `vmbackup ${version} (commit ${(await head()).slice(0, 12)})`);
});

test('no git to ask (no git on PATH, as in the worker image): the version alone, exit 0', async () => {
  for (const script of ['bin/vmbackup.js', 'bin/vmbackup-worker.js']) {
    const r = await run(script, { PATH: '/nonexistent' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, `vmbackup ${version}`);
  }
});

test('vmbackup: --version before a subcommand is the version; after one it is the subcommand\'s own (restore VM --version UID)', () => {
  const commands = ['backup', 'restore', 'ls'];
  assert.equal(wantsVersion(['--version'], commands), true);
  assert.equal(wantsVersion(['-o', 'json', '-V'], commands), true);
  assert.equal(wantsVersion(['restore', 'vm1', '--version', '6dff005a'], commands), false);
  assert.equal(wantsVersion(['--config', 'x.yaml', 'restore', 'vm1', '-V'], commands), false);
  assert.equal(wantsVersion(['--', '--version'], commands), false);
  assert.equal(wantsVersion(['ls'], commands), false);
});
