// runCommand's stall watchdog: a child that goes quiet is killed and reported
// as stalled; one that keeps printing is left alone however long it runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCommand } from '../../activities/exec/run-command.ts';
import { CommandStalledError } from '../../lib/errors.ts';

/** A Node child that prints `lines` lines `everyMs` apart, then stays quiet for `quietMs`. */
const child = (lines: number, everyMs: number, quietMs: number) => [
  '-e',
  `let n = 0; const t = setInterval(() => { console.log('line ' + ++n); if (n === ${lines}) { clearInterval(t); setTimeout(() => {}, ${quietMs}); } }, ${everyMs});`,
];

test('a child that prints nothing for stallMs is killed and fails with CommandStalledError, naming the time and its last line', async () => {
  const started = Date.now();
  await assert.rejects(runCommand(process.execPath, child(2, 50, 60_000), { stallMs: 400 }), (err: unknown) => {
    assert.ok(err instanceof CommandStalledError, String(err));
    assert.match(err.message, /printed nothing for 0.4 s and was killed: line 2/);
    return true;
  });
  assert.ok(Date.now() - started < 30_000, 'killed long before it would have ended');
});

test('a child that keeps printing outlives stallMs many times over', async () => {
  const { stdout } = await runCommand(process.execPath, child(12, 100, 0), { stallMs: 400 });
  assert.equal(stdout.trim().split('\n').length, 12);
});

test('without stallMs a quiet child is waited for', async () => {
  const { stdout } = await runCommand(process.execPath, child(1, 10, 600), {});
  assert.equal(stdout.trim(), 'line 1');
});
