// The worker's one logger: the SDK's Runtime logger (its own lines, workflow
// and activity `log` calls, and the native core's lines, forwarded) and the
// worker's own start/stop lines all go through it, one line per entry on stderr.
//
// `json` (the default) is one JSON object per line: time, level, message, then
// the SDK's metadata flattened (workflowId, workflowType, activityType,
// taskQueue, and the disk added by activity-log-attributes.ts). That is what
// journald, `journalctl -o cat | jq` and a log shipper want from a service.
// `text` is for a person tailing a dev worker's log (scripts/workers.sh).
import { fstatSync } from 'node:fs';
import type { LogLevel, Logger } from '@temporalio/common';
import { DefaultLogger, type LogEntry, type TelemetryOptions } from '@temporalio/worker';
import { z } from 'zod';

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const satisfies readonly LogLevel[];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The worker's log options, as given on its command line. */
export const LogOptions = z.strictObject({
  level: z.enum(LOG_LEVELS).default('INFO'),
  format: z.enum(LOG_FORMATS).default('json'),
});
export type LogOptions = z.infer<typeof LogOptions>;

/** Keys of a JSON line the metadata may not overwrite. */
const RESERVED = new Set(['time', 'level', 'message']);

/** An entry as one JSON line (no trailing newline). */
export function jsonLine(entry: LogEntry): string {
  const line: Record<string, unknown> = { time: isoTime(entry.timestampNanos), level: entry.level, message: entry.message };
  for (const [key, value] of Object.entries(entry.meta ?? {})) {
    line[RESERVED.has(key) ? `meta.${key}` : key] = value;
  }
  return safeStringify(line);
}

/** An entry as a line a person reads: time, level, message, then key=value pairs. */
export function textLine(entry: LogEntry): string {
  const meta = Object.entries(entry.meta ?? {})
    .filter(([key]) => key !== 'sdkComponent')
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : safeStringify(value)}`);
  return `${isoTime(entry.timestampNanos)} ${entry.level.padEnd(5)} ${entry.message}${meta.length ? `  ${meta.join(' ')}` : ''}`;
}

/** The logger for the Runtime and the worker itself; `write` is stderr unless a test gives its own. */
export function createLogger(options: LogOptions, write?: (line: string) => void): Logger {
  const format = options.format === 'json' ? jsonLine : textLine;
  const out = write ?? stderrWriter(stderrIsJournal());
  return new DefaultLogger(options.level, (entry) => out(format(entry), entry.level));
}

/** syslog priorities, which journald reads from a `<N>` line prefix (SyslogLevelPrefix=, on by default). */
const PRIORITY: Record<LogLevel, number> = { TRACE: 7, DEBUG: 7, INFO: 6, WARN: 4, ERROR: 3 };

/**
 * Under systemd, a line's level becomes its journal priority, so `journalctl
 * -p warning` finds the worker's warnings; journald strips the prefix (`-o cat`
 * shows the bare JSON). Anywhere else the line is written as it is.
 */
export function stderrWriter(journal: boolean): (line: string, level: LogLevel) => void {
  return (line, level) => process.stderr.write(journal ? `<${PRIORITY[level]}>${line}\n` : `${line}\n`);
}

/** systemd sets JOURNAL_STREAM to the `dev:inode` of the stream it connected to the journal; it is ours if stderr is that stream. */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const stream = env.JOURNAL_STREAM;
  if (!stream) return false;
  try {
    const { dev, ino } = fstatSync(2);
    return stream === `${dev}:${ino}`;
  } catch {
    return false;
  }
}

/**
 * The native core's own lines go to the same logger instead of straight to the
 * console in its own format. Core is chatty below WARN; the Runtime logger
 * filters by `level` on top of this.
 */
export function coreLogging(level: LogLevel): NonNullable<TelemetryOptions['logging']> {
  const core: LogLevel = level === 'ERROR' ? 'ERROR' : 'WARN';
  return { filter: { core, other: 'ERROR' }, forward: {} };
}

function isoTime(nanos: bigint): string {
  return new Date(Number(nanos / 1_000_000n)).toISOString();
}

/** JSON.stringify that keeps what a log line carries: errors with their stack and cause, bigints, cycles. */
export function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v !== 'object' || v === null) return v;
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    return v instanceof Error ? errorFields(v) : v;
  });
}

function errorFields(err: Error): Record<string, unknown> {
  // Own enumerable fields carry what Temporal adds (ApplicationFailure's type, nonRetryable, details).
  const { ...own } = err as unknown as Record<string, unknown>;
  return { ...own, name: err.name, message: err.message, stack: err.stack, ...(err.cause !== undefined ? { cause: err.cause } : {}) };
}
