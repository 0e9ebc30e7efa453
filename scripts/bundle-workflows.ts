// Builds the workflow bundle ahead of time, for the worker image and systemd
// installs: `node --import tsx scripts/bundle-workflows.ts --out FILE`; the
// worker then loads it with `--workflow-bundle FILE` (or VMBACKUP_WORKFLOW_BUNDLE).
// Writes FILE and FILE.sources.json (the digest of the sources it came from).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { VmbackupError } from '../lib/errors.ts';
import { createLogger } from '../workers/logging.ts';
import { buildWorkflowBundle } from '../workers/workflow-bundle.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help || !values.out) {
  console.log('usage: bundle-workflows.ts --out FILE   (e.g. dist/workflow-bundle.js)');
  process.exit(values.help ? 0 : 2);
}
const out = resolve(values.out);
try {
  mkdirSync(dirname(out), { recursive: true });
  // webpack's summary at WARN and above only: a build log wants failures, not the module list.
  await buildWorkflowBundle(out, createLogger({ level: 'WARN', format: 'text' }));
  console.log(`workflow bundle written to ${out}`);
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  if (err instanceof VmbackupError && err.hint) console.error(`hint: ${err.hint}`);
  process.exit(1);
}
