// Benchmark figures live in docs/bench/results.json only: docs/performance.md's
// tables are generated from it, and every figure there has a row saying what it means.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BENCH_DOC_FILE, BENCH_RESULTS_FILE, BENCH_TABLES, keysWithoutRow, withBenchFigures } from '../../scripts/support/bench-doc.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const results = JSON.parse(read(BENCH_RESULTS_FILE)) as Record<string, unknown>;

test(`${BENCH_DOC_FILE} shows the figures of ${BENCH_RESULTS_FILE} (regenerate with \`npm run docs:bench\`)`, () => {
  const page = read(BENCH_DOC_FILE);
  assert.equal(withBenchFigures(page, results), page);
});

test('every table is in the doc, and every figure of results.json has a row with its meaning', () => {
  const page = read(BENCH_DOC_FILE);
  for (const name of Object.keys(BENCH_TABLES)) assert.ok(page.includes(`<!-- bench:${name}:start -->`), name);
  assert.deepEqual(keysWithoutRow(results), []);
});

test('results.json holds one figure per key, no run-by-run history', () => {
  for (const [key, value] of Object.entries(results)) assert.equal(typeof value, 'number', key);
});

test('a figure not measured yet says so, and a stale table is rewritten', () => {
  const page = '<!-- bench:plan:start -->\nold\n<!-- bench:plan:end -->';
  const out = withBenchFigures(page, { plan_error_ratio: 1.02 });
  assert.match(out, /\| \*\*predicted \/ measured night\*\* \| `plan_error_ratio` \| \*\*1\.02\*\* \| 0\.75–1\.33 \|/);
  assert.match(out, /`plan_disks` \| not measured \|/);
  assert.doesNotMatch(out, /old/);
  assert.match(withBenchFigures(page, { plan_error_ratio: 1.5 }), /\| \*\*1\.5\*\* \| 0\.75–1\.33 \(\*\*missed\*\*\) \|/, 'a figure off its target is marked');
});
