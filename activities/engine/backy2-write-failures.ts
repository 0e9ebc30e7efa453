// How a backy2 2.9 backup that could not store its blocks is recognised.
//
// backy2's file data backend writes blocks in threads (`simultaneous_writes`).
// A writer that fails (a full filesystem: `OSError: [Errno 28] No space left on
// device`) dies with a traceback on stderr, but the main thread never learns of
// it: it prints "Backed up 8/8 blocks", marks the version VALID and exits 0.
// That version lacks the lost blocks; only a scrub or a restore would find out.
// So the output is read for dead writers, not just the exit code.
import { CommandError, StoreFullError } from '../../lib/errors.ts';
import { backy2Setting } from './backy2-config.ts';
import { sqliteMetaPath } from './backy2-sqlite-meta.ts';

const NO_SPACE = /No space left on device|\[Errno 28\]|ENOSPC|database or disk is full/i;
/** A traceback line of a thread that died (Python prints `Exception in thread <name>:`). */
const DEAD_THREAD = /Exception in thread /;

/** The line saying why a writer thread died, when one did; undefined for a clean run. */
export function deadWriter(output: string): string | undefined {
  if (!DEAD_THREAD.test(output)) return undefined;
  const lines = output.split('\n').map((l) => l.trim());
  return noSpaceLine(output) ?? lines.findLast((l) => /^\w*(Error|Exception)\b.*:/.test(l)) ?? 'a writer thread died';
}

/** The line of `text` that says the filesystem is full, if one does. */
export function noSpaceLine(text: string): string | undefined {
  // Threads print their tracebacks interleaved: keep the error itself, not what follows it on the line.
  return text
    .split('\n')
    .find((l) => NO_SPACE.test(l))
    ?.replace(/\s{2,}(INFO|WARNING|ERROR|DEBUG):.*$/, '')
    .trim()
    .slice(0, 300);
}

/** The no-space line of a failed command, when that is why it failed. */
export function commandOutOfSpace(err: unknown): string | undefined {
  return err instanceof CommandError ? noSpaceLine(`${err.stderrTail}\n${err.message}`) : undefined;
}

/** The typed error for a full store, naming where backy2 writes (the metadata database when that is what filled up). */
export function storeFullError(configFile: string, what: string, why: string, cleanup: string): StoreFullError {
  const metadata = /database or disk is full/i.test(why);
  const path = (metadata ? sqliteMetaPath(configFile) : backy2Setting(configFile, 'DataBackend', 'path')) ?? configFile;
  return new StoreFullError(
    `backup store full: backy2 could not write ${what} to ${path} (${metadata ? 'metadata database' : 'data store'} of ${configFile}): ${why.trim()}; ${cleanup}. ` +
      `Free space there (vmbackup purge, then backy2 cleanup; or a larger filesystem), then back the disk up again (the next run reads the whole disk).`,
  );
}
