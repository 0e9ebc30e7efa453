// `npm run soak [-- --runs N --seed S --size-mib M --restore-every K --max-delay-ms D]`:
// backups (and every K-th run an in-place restore) of one changing disk, each
// with its worker SIGKILLed at a random moment; see scripts/support/soak.ts.
// Exits 1 when a run was not byte-identical or left something behind. Needs
// the local stack up; takes about 40 s a run, 13 minutes for 20 (a kill waits out the
// killed activity's heartbeat timeout, 20 or 30 s).
import { parseArgs } from 'node:util';
import { newSeed } from './support/prng.ts';
import { soak } from './support/soak.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    seed: { type: 'string' },
    'size-mib': { type: 'string', default: '256' },
    'restore-every': { type: 'string', default: '2' },
    'max-delay-ms': { type: 'string' },
  },
});
const int = (name: string, text: string | undefined) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, got '${text}'`);
  return n;
};

const figures = await soak({
  runs: int('runs', values.runs),
  seed: values.seed === undefined ? newSeed() : int('seed', values.seed),
  sizeMiB: int('size-mib', values['size-mib']),
  restoreEvery: int('restore-every', values['restore-every']),
  maxDelayMs: values['max-delay-ms'] === undefined ? undefined : int('max-delay-ms', values['max-delay-ms']),
  log: (line) => console.error(line),
});
console.log(JSON.stringify(figures, null, 2));
process.exitCode = figures.soak_byte_identical === figures.soak_runs && figures.failures.length === 0 ? 0 : 1;
