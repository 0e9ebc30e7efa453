// Typed errors. Each says what was wrong and what to do next; the `type` is
// also the Temporal ApplicationFailure type, so a failure raised on a backup
// host reaches the CLI with the same name it was thrown with.

/** Base class: `hint` tells the operator what to do next. */
export class VmbackupError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The config file is missing, unreadable or does not match the schema. */
export class ConfigError extends VmbackupError {}

/** Another live worker holds this backup host's state_dir or backy2 store. */
export class HostLockedError extends VmbackupError {}

/** The CLI's config is not the one the workers run: a destructive command is refused (exit 2, as any config error). */
export class ConfigMismatchError extends ConfigError {}

/** A name or argument given by the operator is not acceptable; nothing was changed. */
export class InvalidInputError extends VmbackupError {}

/** A VM name several disks carry: refused (exit 2, as bad input), with the candidates to choose from by id. */
export class AmbiguousNameError extends InvalidInputError {
  constructor(
    message: string,
    readonly candidates: ReadonlyArray<{ id: string; name: string; project: string; host: string }>,
    hint?: string,
  ) {
    super(message, hint);
  }
}

/** The disk to back up does not exist in the pool. */
export class UnknownVmError extends VmbackupError {}

/** A backup version that was asked for does not exist. */
export class UnknownVersionError extends VmbackupError {}

/** A Schedule that was asked for does not exist (or is another config's). */
export class UnknownScheduleError extends VmbackupError {}

/** Another operation holds the disk (its lock, or a running workflow on it): wait for it, or cancel it. */
export class DiskBusyError extends VmbackupError {}

/** A destructive run found a plan other than the one the operator confirmed, and removed nothing. */
export class PlanChangedError extends VmbackupError {}

/**
 * The inventory lists no disk of a workload at all while the store holds its
 * backups, or shrank sharply since the last one: an outage or a wrong scope far
 * more likely than a fleet that vanished, so nothing is judged deleted on its word.
 */
export class UnsafeInventoryError extends VmbackupError {}

/**
 * The backup store's filesystem (its data folder, or its metadata database) has
 * no space left: the copy cannot succeed until space is made, so it is not
 * retried (every attempt would read the whole disk again and fail the same way).
 */
export class StoreFullError extends VmbackupError {}

/** An external command failed; `command` is its argv for the logs. */
export class CommandError extends VmbackupError {
  constructor(
    message: string,
    readonly command: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

/** A command that stopped making progress and was killed (see RunOptions.stallMs); retryable: the next attempt starts over. */
export class CommandStalledError extends CommandError {}

/**
 * ApplicationFailure types that no retry can fix: every activity and child
 * workflow is given this one list (a CommandError, a busy image or a timeout
 * is retried). `RescueError` is raised by rescueInstance itself.
 */
export const NON_RETRYABLE_TYPES = [
  'ConfigError',
  'ConfigMismatchError',
  'InvalidInputError',
  'UnknownVmError',
  'UnknownVersionError',
  'DiskBusyError',
  'PlanChangedError',
  'UnsafeInventoryError',
  'RescueError',
  'StoreFullError',
];

/**
 * The innermost cause of an error: a failed workflow's message is about the
 * workflow, its cause's (ChildWorkflowFailure → ActivityFailure → the real
 * error) about the step that failed. Pure, so workflows use it too.
 */
export function rootCause(err: unknown): Error & { type?: string } {
  let e = err as Error;
  while (e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e : new Error(String(e));
}
