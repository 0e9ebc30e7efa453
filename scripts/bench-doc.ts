// `npm run docs:bench`: rewrites docs/performance.md's figure tables from
// docs/bench/results.json (`npm run bench` does it after every run).
import { fileURLToPath } from 'node:url';
import { updateBenchDoc } from './support/bench-doc.ts';

console.log(updateBenchDoc(fileURLToPath(new URL('..', import.meta.url))));
