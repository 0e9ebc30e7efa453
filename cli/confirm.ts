// The one way a destructive command gets the operator's go-ahead: `--dry-run`
// shows the plan and changes nothing; the real run needs `--yes` (with the plan
// the dry run printed, where the command has one) or a typed confirmation on a
// terminal. Off a terminal without `--yes` it is refused (exit 2) before
// anything is started or changed: a script never removes by default.
import { createInterface } from 'node:readline/promises';
import { InvalidInputError } from '../lib/errors.ts';
import { formatPlanToken, PlanToken } from '../lib/plan-digest.ts';

export interface ConsentOptions {
  dryRun?: boolean | undefined;
  yes?: boolean | undefined;
  /** `--plan TOKEN`: the plan the dry run printed. */
  plan?: string | undefined;
}

/**
 * `dry-run`: show only. `confirmed`: go ahead (with the confirmed plan per host,
 * when the command has plans). `ask`: show the plan, then ask on the terminal.
 */
export type Consent = { kind: 'dry-run' } | { kind: 'confirmed'; plans?: ReadonlyMap<string, string> } | { kind: 'ask' };

export interface ConsentRules {
  /** The command, for messages: `purge`, `remove-invalids`, … */
  command: string;
  /** What it does, for messages: "removes backup versions". */
  action: string;
  /** `--yes` must name the plan it carries out (`--plan TOKEN` from the dry run). */
  planRequired?: boolean;
  /** Whether a terminal may be asked; tests pass false. Default: stdin is a TTY. */
  interactive?: boolean;
}

/** Decides from the flags alone, before anything connects or starts. */
export function consentOf(options: ConsentOptions, rules: ConsentRules): Consent {
  if (options.dryRun && options.yes) throw new InvalidInputError('--dry-run and --yes exclude each other; nothing was changed');
  if (options.plan !== undefined && !options.yes) throw new InvalidInputError('--plan goes with --yes; nothing was changed');
  if (options.dryRun) return { kind: 'dry-run' };
  if (options.yes) {
    if (!rules.planRequired) return { kind: 'confirmed' };
    if (options.plan === undefined) {
      throw new InvalidInputError(
        `${rules.command} --yes needs --plan: --yes carries out the plan you were shown, not a fresh one; nothing was changed`,
        `Run it with --dry-run, check the plan, then run the line it prints (… --yes --plan TOKEN).`,
      );
    }
    return { kind: 'confirmed', plans: parsePlanToken(options.plan) };
  }
  if (rules.interactive ?? Boolean(process.stdin.isTTY)) return { kind: 'ask' };
  throw new InvalidInputError(
    `${rules.command} ${rules.action} and needs --dry-run or --yes off a terminal; nothing was started or changed`,
    `Run it with --dry-run first, check the plan, then run the line it prints (with --yes${rules.planRequired ? ' --plan TOKEN' : ''}).`,
  );
}

export function parsePlanToken(text: string): ReadonlyMap<string, string> {
  const parsed = PlanToken.safeParse(text);
  if (!parsed.success) {
    throw new InvalidInputError(`--plan '${text}' is not a plan: expected <host>:<digest>[,<host>:<digest>…] as the dry run printed it; nothing was changed`);
  }
  return parsed.data;
}

/** The confirmed digest of each host to run on; a host the plan does not cover is refused before anything starts. */
export function plansFor(hosts: readonly string[], plans: ReadonlyMap<string, string>): Map<string, string> {
  const missing = hosts.filter((h) => !plans.has(h));
  if (missing.length) {
    throw new InvalidInputError(
      `--plan confirms nothing for host ${missing.join(', ')}; nothing was changed`,
      'Run the dry run for the same hosts (same --host) and use the plan it prints.',
    );
  }
  return new Map(hosts.map((h) => [h, plans.get(h)!]));
}

/**
 * Asks on the terminal; resolves only on the exact answer, otherwise refuses
 * (exit 2, nothing changed). `plan` lines are printed first, numbered.
 */
export async function askOnTerminal(question: { plan?: readonly string[]; label: string; expected: string }): Promise<void> {
  if (question.plan?.length) console.error(`This will:\n${question.plan.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}`);
  if (!process.stdin.isTTY) throw new InvalidInputError('not a terminal: pass --yes to go ahead without a prompt; nothing was changed');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Type ${question.label} (${question.expected}) to go ahead: `);
    if (answer.trim() !== question.expected) throw new InvalidInputError('not confirmed; nothing was changed');
  } finally {
    rl.close();
  }
}

/** The line that carries out a dry run's plan: this very command, `--dry-run` swapped for `--yes --plan TOKEN`. */
export function confirmLine(digests: ReadonlyArray<{ host: string; planDigest: string }>, argv: readonly string[] = process.argv.slice(2)): string {
  const args = argv.filter((a) => a !== '--dry-run' && a !== '-n');
  return ['vmbackup', ...args, '--yes', '--plan', formatPlanToken(digests)].map(shellQuote).join(' ');
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:,=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** What each host's run of a planned command reports: its plan's digest among the rest. */
export interface PlannedHostResult {
  host: string;
  planDigest: string;
}

export interface PlannedRuns<R extends PlannedHostResult> {
  results: R[];
  errors: Array<{ host: string; error: string }>;
}

/**
 * The flow every per-host removal shares: a dry run shows the plan and the line
 * that confirms it; `--yes --plan` runs each host with the digest it confirmed
 * (the workflow refuses if its own plan differs); on a terminal, the dry run's
 * plan is shown, asked about, and then run the same way. Returns what to print
 * and whether it was a dry run; `confirm` is the token of a dry run's plan.
 */
export async function carryOutPlan<R extends PlannedHostResult>(
  consent: Consent,
  hosts: readonly string[],
  io: {
    /** Runs every host in `hosts`: a dry run without `plans`, else each with its confirmed digest. */
    run(plans?: ReadonlyMap<string, string>): Promise<PlannedRuns<R>>;
    /** For the question on a terminal, e.g. "remove 12 versions on backup1". */
    describe(results: readonly R[]): string;
    /** Prints a dry run's plan (on a terminal, before the question). */
    show(planned: PlannedRuns<R>): void;
  },
): Promise<PlannedRuns<R> & { dryRun: boolean; plan?: string; confirm?: string }> {
  if (consent.kind === 'confirmed') return { ...(await io.run(plansFor(hosts, consent.plans ?? new Map()))), dryRun: false };
  const planned = await io.run();
  // A plan with a host missing is no plan to confirm: that host's part was never shown.
  if (planned.errors.length) return { ...planned, dryRun: true };
  const token = formatPlanToken(planned.results);
  if (consent.kind === 'dry-run') return { ...planned, dryRun: true, plan: token, confirm: confirmLine(planned.results) };
  io.show(planned);
  await askOnTerminal({ label: 'yes', expected: 'yes', plan: [`${io.describe(planned.results)} (plan ${token})`] });
  return { ...(await io.run(new Map(planned.results.map((r) => [r.host, r.planDigest])))), dryRun: false };
}
