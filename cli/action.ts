// The one way a subcommand gets its CliContext: built from the global options
// when the command runs, closed when it ends however it ends. A command that
// prints a listing says so; the others refuse `-f value|csv` and `-c`, which
// only a listing can honour.
import type { Command } from 'commander';
import { InvalidInputError } from '../lib/errors.ts';
import { CliContext, formatOf, type GlobalOptions } from './context.ts';

export interface ActionOptions {
  /** The command prints a listing (rows and columns): `-f value|csv` and `-c` apply. */
  listing?: boolean;
}

/**
 * A commander action for `run(ctx, ...arguments, options)`; a number returned is
 * the exit code (a check's, a night's), an error thrown is reported by main.ts.
 */
export function withContext<Args extends unknown[]>(
  run: (ctx: CliContext, ...args: Args) => Promise<number | void>,
  options: ActionOptions = {},
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    if (!options.listing) refuseListingOptions(globals, command);
    const ctx = new CliContext(globals);
    try {
      const code = await run(ctx, ...(args.slice(0, -1) as Args));
      if (typeof code === 'number') process.exitCode = code;
    } finally {
      await ctx.close();
    }
  };
}

function refuseListingOptions(globals: GlobalOptions, command: Command): void {
  const name = commandPath(command);
  const format = formatOf(globals);
  if (format === 'value' || format === 'csv') {
    throw new InvalidInputError(`\`${name}\` prints no listing: -f ${format} is for listings`, 'Use -f table or -f json here; `vmbackup <command> --help` says which commands list.');
  }
  if (globals.column?.length) throw new InvalidInputError(`\`${name}\` prints no listing: -c/--column is for listings`, 'Drop -c, or use -f json and pick the fields from the document.');
}

/** `schedule trigger`, not `trigger`: the command as the operator typed it. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
