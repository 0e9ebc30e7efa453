// The faults case of `npm run bench`: runs every fault test (test/e2e/fault-*.test.ts,
// each a fault injected on the real stack: a worker, the Temporal server or a
// Ceph daemon killed or stopped, the store full, a host lost) and counts them:
//   faults_tried   fault cases run (leaf tests: a case with no subtests of its own)
//   faults_passed  of those, the ones whose assertions all held
// The same files run in `npm test`; here their count becomes a figure.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { log } from './bench-timing.ts';
import { ROOT } from './private-config.ts';

export async function faultsBench(): Promise<Record<string, number>> {
  const files = readdirSync(join(ROOT, 'test/e2e'))
    .filter((f) => /^fault-.*\.test\.ts$/.test(f))
    .sort()
    .map((f) => join('test/e2e', f));
  if (files.length === 0) throw new Error('no fault tests found (test/e2e/fault-*.test.ts)');
  log(`faults: ${files.length} files: ${files.join(', ')}`);
  const run = execa(
    'node',
    ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-reporter=${join(ROOT, 'scripts/support/fault-reporter.mjs')}`, ...files],
    { cwd: ROOT, reject: false, all: true },
  );
  run.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const { all } = await run;
  const line = all?.split('\n').find((l) => l.startsWith('FAULTS '));
  if (!line) throw new Error(`the fault tests ended without a count:\n${all?.slice(-2000)}`);
  const { tried, passed, failed } = JSON.parse(line.slice('FAULTS '.length)) as { tried: number; passed: number; failed: string[] };
  if (failed.length > 0) log(`faults failed: ${failed.join('; ')}`);
  return { faults_tried: tried, faults_passed: passed };
}
