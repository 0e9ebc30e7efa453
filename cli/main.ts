// `vmbackup`: the engineers' command. Each subcommand lives in cli/commands/.
import { Command, CommanderError, Option } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { versionText } from '../lib/version.ts';
import { ConfigError, DiskBusyError, InvalidInputError, rootCause, UnknownScheduleError, UnknownVersionError, UnknownVmError, VmbackupError } from '../lib/errors.ts';
import { registerAside } from './commands/aside.ts';
import { registerBackup } from './commands/backup.ts';
import { registerCheck } from './commands/check.ts';
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

const program = new Command('vmbackup')
  .description('Back up, purge and restore OpenStack VM disks on Ceph, as durable Temporal workflows.')
  .option('--config <file>', 'config file (default: $VMBACKUP_CONFIG, /etc/vmbackup/config.yaml, or the local stack)')
  .addOption(new Option('-f, --format <format>', 'output format (value and csv: listings only)').choices(FORMATS))
  .option('-c, --column <name>', 'a column of a listing to show, in this order (repeat for several)', (name: string, names: string[] = []) => [...names, name])
  // The old name of -f, kept for operators' scripts.
  .addOption(new Option('-o, --output <format>').choices(FORMATS).hideHelp())
  .option('--reconnect <seconds>', 'how long a command watching a workflow waits for a lost Temporal to come back (the workflow goes on regardless)', '600')
  .showHelpAfterError('(run with --help for usage)')
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
registerSummary(program);
registerRunNightly(program);
registerSchedule(program);
registerTakeover(program);
registerCheck(program);
registerPlan(program);

if (wantsVersion(process.argv.slice(2), program.commands.map((c) => c.name()))) {
  console.log(versionText());
  process.exit(EXIT.ok);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = report(err);
}

/** Prints an error the way an operator needs it and returns the exit code. */
function report(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
  }
  if (err instanceof WorkflowFailedError) {
    const cause = rootCause(err);
    console.error(`error: ${err.message}: ${cause.message}`);
    return cause instanceof ApplicationFailure && (cause.type === 'UnknownVmError' || cause.type === 'UnknownVersionError')
      ? EXIT.notFound
      : cause instanceof ApplicationFailure && cause.type === 'InvalidInputError'
        ? EXIT.invalidInput
        : cause instanceof ApplicationFailure && cause.type === 'DiskBusyError'
          ? EXIT.busy
          : EXIT.failed;
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(`error: ${message}`);
  if (err instanceof VmbackupError && err.hint) console.error(`hint: ${err.hint}`);
  if (err instanceof ConfigError || err instanceof InvalidInputError) return EXIT.invalidInput;
  if (err instanceof UnknownVmError || err instanceof UnknownVersionError || err instanceof UnknownScheduleError) return EXIT.notFound;
  if (err instanceof TemporalUnavailableError) return EXIT.unavailable;
  if (err instanceof DiskBusyError) return EXIT.busy;
  return EXIT.failed;
}
