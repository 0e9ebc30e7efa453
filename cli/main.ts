// `vmbackup`: the engineers' command. Each subcommand lives in cli/commands/.
import { Command, CommanderError, Option } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { versionText } from '../lib/version.ts';
import { ConfigError, DiskBusyError, InvalidInputError, rootCause, UnknownScheduleError, UnknownVersionError, UnknownVmError, VmbackupError } from '../lib/errors.ts';
import { registerAside } from './commands/aside.ts';
import { registerBackup } from './commands/backup.ts';
import { registerCheck } from './commands/check.ts';
import { registerConfig } from './commands/config.ts';
import { registerHistory } from './commands/history.ts';
import { registerLs } from './commands/ls.ts';
import { registerPlan } from './commands/plan.ts';
import { registerPurge } from './commands/purge.ts';
import { registerPurgeAside } from './commands/purge-aside.ts';
import { registerRemoveInvalids } from './commands/remove-invalids.ts';
import { registerRemoveUnhandled } from './commands/remove-unhandled.ts';
import { registerRescue } from './commands/rescue.ts';
import { registerRunNightly } from './commands/run-nightly.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerRestore } from './commands/restore.ts';
import { registerRestoreImage, registerRestoreVolume } from './commands/restore-image.ts';
import { registerSnapshots } from './commands/snapshots.ts';
import { registerStatus } from './commands/status.ts';
import { registerTakeover } from './commands/takeover.ts';
import { registerSummary } from './commands/summary.ts';
import { registerWhere } from './commands/where.ts';
import { TemporalUnavailableError } from './context.ts';
import { wantsVersion } from './version-flag.ts';
import { EXIT } from './exit-codes.ts';
import { FORMATS } from './output/render.ts';

/** Errors as JSON: asked before parsing, as a usage error can come before the options are read. */
const jsonErrors = wantsJson(undefined, process.argv.slice(2));

const program = new Command('vmbackup')
  .description('Back up, purge and restore OpenStack VM disks on Ceph, as durable Temporal workflows.')
  .option('--config <file>', 'config file (default: $VMBACKUP_CONFIG, /etc/vmbackup/config.yaml, or the local stack)')
  .addOption(new Option('-f, --format <format>', 'output format (value and csv: listings only)').choices(FORMATS))
  .option('-c, --column <name>', 'a column of a listing to show, in this order (repeat for several)', (name: string, names: string[] = []) => [...names, name])
  // The old name of -f, kept for operators' scripts.
  .addOption(new Option('-o, --output <format>').choices(FORMATS).hideHelp())
  .option('--reconnect <seconds>', 'how long a command watching a workflow waits for a lost Temporal to come back (the workflow goes on regardless)', '600')
  .showHelpAfterError(jsonErrors ? false : '(run with --help for usage)')
  // Every subcommand's --help lists -f, -c, --config: they work after the subcommand too.
  .configureHelp({ showGlobalOptions: true })
  // Under -f json a usage error comes as the same JSON object as any other (printed below).
  .configureOutput({ outputError: (text, write) => (jsonErrors ? undefined : write(text)) })
  .exitOverride()
  .addHelpText(
    'after',
    `
\`vmbackup --version\` (-V) prints the version and, when known, the git commit.

Exit codes: 0 ok, 1 the operation failed, 2 invalid input or config (nothing
changed), 3 VM/disk/version not found (nothing changed), 4 Temporal unreachable.
The check command alone uses the Nagios codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.`,
  );

registerBackup(program);
registerLs(program);
registerRestore(program);
registerRestoreImage(program);
registerRestoreVolume(program);
registerRescue(program);
registerPurge(program);
registerPurgeAside(program);
registerAside(program);
registerSnapshots(program);
registerRemoveInvalids(program);
registerRemoveUnhandled(program);
registerWhere(program);
registerStatus(program);
registerHistory(program);
registerSummary(program);
registerRunNightly(program);
registerSchedule(program);
registerTakeover(program);
registerCheck(program);
registerPlan(program);
registerConfig(program);

if (wantsVersion(process.argv.slice(2), program.commands.map((c) => c.name()))) {
  console.log(versionText());
  process.exit(EXIT.ok);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = exitCodeOf(err);
  process.exitCode = code;
  const json = wantsJson(program, process.argv.slice(2));
  // Commander printed its own message already (unless under -f json); every other error is ours to print.
  if (!(err instanceof CommanderError) || (json && code !== EXIT.ok)) printError(err, code, json);
}

/** The exit code an error means (the README's table). */
function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
  if (err instanceof WorkflowFailedError) {
    const cause = rootCause(err);
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    if (type === 'UnknownVmError' || type === 'UnknownVersionError') return EXIT.notFound;
    if (type === 'InvalidInputError') return EXIT.invalidInput;
    if (type === 'DiskBusyError') return EXIT.busy;
    return EXIT.failed;
  }
  if (err instanceof ConfigError || err instanceof InvalidInputError) return EXIT.invalidInput;
  if (err instanceof UnknownVmError || err instanceof UnknownVersionError || err instanceof UnknownScheduleError) return EXIT.notFound;
  if (err instanceof TemporalUnavailableError) return EXIT.unavailable;
  if (err instanceof DiskBusyError) return EXIT.busy;
  return EXIT.failed;
}

/**
 * The error as an operator needs it: `error:` and `hint:` lines, or under
 * `-f json` one JSON object on stderr's last line ({type, message, hint, exitCode}).
 */
function printError(err: unknown, exitCode: number, json: boolean): void {
  const failure = err instanceof WorkflowFailedError ? rootCause(err) : undefined;
  const message = failure ? `${(err as Error).message}: ${failure.message}` : err instanceof Error ? err.message.replace(/^error: /, '') : String(err);
  const type = failure instanceof ApplicationFailure && failure.type ? failure.type : err instanceof CommanderError ? 'UsageError' : err instanceof Error ? err.name : 'Error';
  const hint = err instanceof VmbackupError ? err.hint : undefined;
  if (json) {
    console.error(JSON.stringify({ error: { type, message, ...(hint ? { hint } : {}), exitCode } }));
    return;
  }
  console.error(`error: ${message}`);
  if (hint) console.error(`hint: ${hint}`);
}

/** `-f json` (or the old `-o json`) was asked for; from argv when the parse failed before options were read. */
function wantsJson(cmd: Command | undefined, args: readonly string[]): boolean {
  const parsed = cmd?.opts<{ format?: string; output?: string }>() ?? {};
  if (parsed.format !== undefined || parsed.output !== undefined) return (parsed.format ?? parsed.output) === 'json';
  return args.some((a, i) => a === '-fjson' || a === '--format=json' || a === '--output=json' || a === '-ojson' || (['-f', '--format', '-o', '--output'].includes(a) && args[i + 1] === 'json'));
}
