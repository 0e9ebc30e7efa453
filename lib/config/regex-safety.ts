// Exclusion regexes run inside workflow code (lib/fleet/policy.ts) against
// names that tenants choose: one pattern that backtracks catastrophically,
// `(a+)+$` say, stalls a host's night for ever (2.9 s for a 28-character name,
// 4x per 2 more). The config refuses such patterns when it loads.
//
// The checker is recheck (https://makenowjust-labs.github.io/recheck/): it
// decides from the pattern's automaton whether a backtracking matcher can take
// super-linear time, says how much (exponential, or polynomial of degree d) and
// gives an attack string. A star-height heuristic (safe-regex2) misses
// overlapping alternatives like `(a|aa)+` and flags harmless patterns; RE2
// semantics (re2js) would refuse lookarounds that are fine. recheck runs on
// Node 20 from its npm packages alone: its native build (the optional
// dependency recheck-linux-x64, nothing downloaded at run time) takes about
// 100 ms to start and a few ms per pattern; where that package is missing it
// falls back to its pure JavaScript build (10 times slower, same verdicts).
import { checkSync, type Diagnostics } from 'recheck';
import { wholeNamePattern } from '../fleet/policy.ts';

/**
 * Highest polynomial degree allowed. OpenStack caps names at 255 characters:
 * a degree-2 pattern (`.*-k8s-.*`) costs 0.1 ms on the worst such name here,
 * degree 3 (`(.*-){3}x`) 59 ms, degree 4 3.8 s. The nightly plan matches every
 * disk's name in one workflow task, which fails after 2 s (deadlock detector).
 */
const MAX_DEGREE = 2;
/** A pattern recheck cannot judge in this time is refused: it could not be shown safe. */
const CHECK_TIMEOUT_MS = 5_000;

const verdicts = new Map<string, string | undefined>();

/** Why `source`, matched against whole names as the nightly job does, could stall a workflow; undefined when it cannot. */
export function backtrackingRisk(source: string): string | undefined {
  if (!verdicts.has(source)) verdicts.set(source, judge(checkSync(wholeNamePattern(source).source, '', { timeout: CHECK_TIMEOUT_MS })));
  return verdicts.get(source);
}

function judge(result: Diagnostics): string | undefined {
  if (result.status === 'safe') return undefined;
  if (result.status === 'unknown') {
    const why = result.error.kind === 'timeout' ? `within ${CHECK_TIMEOUT_MS / 1000} s` : `(${result.error.kind}${'message' in result.error ? `: ${result.error.message}` : ''})`;
    return `its backtracking could not be checked ${why}; simplify it`;
  }
  const { complexity } = result;
  if (complexity.type === 'polynomial' && complexity.degree <= MAX_DEGREE) return undefined;
  return `${complexity.summary} backtracking: a name like ${result.attack.pattern} takes ${complexity.type === 'exponential' ? 'time doubling with each character' : `time growing with the name's length to the power ${complexity.degree}`}; rewrite it without nested or adjacent repetitions that can match the same text (e.g. \`[^-]*\` instead of \`.*\`)`;
}
