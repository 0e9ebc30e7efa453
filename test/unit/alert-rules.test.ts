// The Prometheus alert rules (deploy/prometheus/vmbackup-rules.yml) checked
// and unit-tested by the real promtool, on the series the test file writes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { execa } from 'execa';

const DIR = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));

async function promtool(...args: string[]) {
  try {
    return await execa('promtool', args, { cwd: DIR, reject: false });
  } catch (err) {
    throw new Error(`promtool could not be run (${(err as Error).message}): install it with scripts/install-deps.sh apt (Debian's prometheus package)`);
  }
}

test('the rules file is valid', async () => {
  const r = await promtool('check', 'rules', 'vmbackup-rules.yml');
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 13 rules found/);
});

test('every alert fires on its series and stays quiet on a healthy host (promtool test rules)', async () => {
  const r = await promtool('test', 'rules', 'vmbackup-rules.test.yml');
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
});

test('every alert of the rules file is tested', () => {
  const rules = [...readFileSync(`${DIR}vmbackup-rules.yml`, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
  const tested = new Set([...readFileSync(`${DIR}vmbackup-rules.test.yml`, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
  assert.deepEqual(rules.filter((r) => !tested.has(r)), []);
});
