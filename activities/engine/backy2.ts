// backy2 2.9.17 as a BackupEngine: its CLI with one config file per backup host.
import { ImageName, PoolName, SnapshotName, VersionUid } from '../../lib/naming.ts';
import type { StoreCleanup } from '../../lib/operations/purge.ts';
import { readFileSync } from 'node:fs';
import { CommandError } from '../../lib/errors.ts';
import { type RunOptions, runCommand } from '../exec/run-command.ts';
import { backy2BlockSize, hintsPassSanityCheck } from './backy2-hints.ts';
import { Backy2SqliteMeta, sqliteMetaPath } from './backy2-sqlite-meta.ts';
import { SerialQueue } from './serial.ts';
import { commandOutOfSpace, deadWriter, noSpaceLine, storeFullError } from './backy2-write-failures.ts';
import type { BackupEngine, BackupRequest, EngineStats, EngineVersion, RestoreTarget, RunControl } from './engine.ts';
import type { VersionStat } from '../../lib/forecast/disk-work.ts';

export interface Backy2Options {
  bin: string;
  configFile: string;
  log?: RunOptions['log'];
  /** `auto` reads SQLite metadata directly when the store has it; `cli` always asks backy2. */
  metadata?: 'auto' | 'cli';
  /** Kill a backup or restore copy that reports no progress for this long (RunOptions.stallMs). */
  stallSeconds?: number;
}

export class Backy2Engine implements BackupEngine {
  private readonly writes = new SerialQueue();
  private readonly meta?: Backy2SqliteMeta;

  constructor(private readonly options: Backy2Options) {
    const db = options.metadata === 'cli' ? undefined : sqliteMetaPath(options.configFile);
    if (db) this.meta = new Backy2SqliteMeta(db);
  }

  private run(args: string[], extra: RunOptions = {}) {
    return runCommand(this.options.bin, ['-c', this.options.configFile, ...args], { log: this.options.log, ...extra });
  }

  async listVersions(name?: string): Promise<EngineVersion[]> {
    if (this.meta) return this.meta.listVersions(name);
    const args = ['-m', 'ls'];
    if (name !== undefined) args.push(ImageName.parse(name));
    const { stdout } = await this.run(args);
    return parseMachineTable(stdout)
      .filter((row) => row.type === 'version')
      .map((row) => ({
        uid: row.uid!,
        name: row.name!,
        snapshotName: row.snapshot_name ?? '',
        date: backyDateToIso(row.date!),
        sizeBytes: Number(row.size_bytes),
        valid: row.valid === '1',
        protected: row.protected === '1',
        tags: row.tags ? row.tags.split(',').filter(Boolean) : [],
      }))
      .sort((a, b) => a.date.localeCompare(b.date));
  }

  async backup(request: BackupRequest, control: RunControl = {}): Promise<string> {
    const { pool, image, snapshot } = request.source;
    const args = ['backup', '-s', SnapshotName.parse(snapshot)];
    let { hintsFile } = request;
    if (hintsFile && request.baseUid && request.sizeBytes !== undefined && !hintsPassSanityCheck(hintsFile, request.sizeBytes, this.blockSize())) {
      this.options.log?.(`${image}: fewer than 5 blocks outside the hints for backy2's sanity check; reading the whole disk`);
      hintsFile = undefined;
    }
    if (hintsFile) args.push('-r', hintsFile);
    if (request.baseUid) args.push('-f', VersionUid.parse(request.baseUid));
    for (const tag of request.tags) args.push('-t', tag);
    args.push(`rbd://${PoolName.parse(pool)}/${ImageName.parse(image)}@${snapshot}`, ImageName.parse(request.name));
    const what = `${image}@${snapshot}`;
    let output: string;
    try {
      const { stderr, stdout } = await this.writes.run(() => this.run(args, this.progressOptions(control, /Backed up (\d+)\/(\d+) blocks \(([\d.]+)%\)/)));
      output = `${stderr}\n${stdout}`;
    } catch (err) {
      const full = commandOutOfSpace(err);
      if (full) throw storeFullError(this.options.configFile, what, full, 'its half-made version is invalid');
      throw err;
    }
    const uid = /New version: ([0-9a-f-]{36})/.exec(output)?.[1];
    const lost = deadWriter(output);
    if (lost) throw await this.discardBroken(request.name, snapshot, uid, what, lost);
    if (uid) return uid;
    // Older or quieter builds: find it by snapshot name.
    const made = (await this.listVersions(request.name)).findLast((v) => v.snapshotName === snapshot && v.valid);
    if (!made) throw new Error(`backy2 backup of ${image}@${snapshot} ended without a valid version`);
    return made.uid;
  }

  /**
   * A backup whose writer threads died was marked valid all the same (see
   * backy2-write-failures.ts): it goes at once, so that nothing, not even the
   * next backup as its base, ever trusts it. Returns the error to throw.
   */
  private async discardBroken(name: string, snapshot: string, uid: string | undefined, what: string, lost: string): Promise<Error> {
    const uids = uid ? [uid] : (await this.listVersions(name)).filter((v) => v.snapshotName === snapshot).map((v) => v.uid);
    let cleanup = `the version backy2 marked valid regardless (${uids.join(', ') || 'none found'}) was removed`;
    try {
      for (const u of uids) await this.remove(u);
    } catch (err) {
      cleanup = `the version backy2 marked valid regardless (${uids.join(', ')}) lacks blocks and could NOT be removed (${(err as Error).message}): remove it with \`backy2 rm -f\` before anything restores it`;
    }
    if (noSpaceLine(lost)) return storeFullError(this.options.configFile, what, lost, cleanup);
    return new Error(`backy2 backup of ${what} lost blocks (a writer thread died: ${lost}); ${cleanup}`);
  }

  private blockSizeBytes?: number;

  private blockSize(): number {
    this.blockSizeBytes ??= backy2BlockSize(readFileSync(this.options.configFile, 'utf8'));
    return this.blockSizeBytes;
  }

  async stats(uid: string): Promise<EngineStats | undefined> {
    if (this.meta) return this.meta.stats(uid);
    const { stdout } = await this.run(['-m', 'stats', VersionUid.parse(uid)]);
    const row = parseMachineTable(stdout).find((r) => r.type === 'statistics' && r.uid === uid);
    if (!row) return undefined;
    return {
      sizeBytes: Number(row['size bytes']),
      bytesRead: Number(row['bytes read']),
      bytesWritten: Number(row['bytes written']),
      bytesDedup: Number(row['bytes dedup']),
      bytesSparse: Number(row['bytes sparse']),
      durationSeconds: Number(row['duration (s)']),
    };
  }

  async statsSince(since: string): Promise<VersionStat[]> {
    if (this.meta) return this.meta.statsSince(since);
    const { stdout } = await this.run(['-m', 'stats']);
    return parseMachineTable(stdout)
      .filter((r) => r.type === 'statistics')
      .map((r) => ({
        uid: r.uid!,
        name: r.name!,
        date: backyDateToIso(r.date!),
        sizeBytes: Number(r['size bytes']),
        bytesRead: Number(r['bytes read']),
        durationSeconds: Number(r['duration (s)']),
      }))
      .filter((s) => s.date >= since);
  }

  async remove(uid: string): Promise<void> {
    await this.writes.run(() => this.run(['rm', '-f', VersionUid.parse(uid)]));
  }

  /**
   * `backy2 cleanup` without `--full`: it deletes the blobs on backy2's own list
   * of delete candidates (filled by `rm`) that are older than an hour and that
   * no block refers to any more. The hour is backy2's grace time, so a removal
   * frees its space at the next night's cleanup, not this one. `--full` instead
   * lists the whole data store and must not run beside any other backy2 job.
   */
  async cleanup(): Promise<StoreCleanup> {
    const { stderr, stdout } = await this.writes.run(() => this.run(['cleanup']));
    const m = /(\d+) false positives, (\d+) data deletions/.exec(stderr + stdout);
    return m ? { stillReferenced: Number(m[1]), blobsRemoved: Number(m[2]) } : {};
  }

  /**
   * `backy2 scrub VERSION`: reads every block and compares its checksum. On a
   * bad block backy2 marks that block, and so every version that shares it,
   * invalid at once (no second read), and exits 20; on none it marks the
   * version valid. It writes to the metadata, so it queues with the writes.
   */
  async scrub(uid: string, control: RunControl = {}): Promise<boolean> {
    try {
      await this.writes.run(() => this.run(['scrub', VersionUid.parse(uid)], { cancelSignal: control.cancelSignal, pidFile: control.pidFile }));
      return true;
    } catch (err) {
      if (err instanceof CommandError && err.exitCode === 20) return false;
      throw err;
    }
  }

  async restore(uid: string, target: RestoreTarget, control: RunControl = {}): Promise<void> {
    const url =
      target.kind === 'rbd' ? `rbd://${PoolName.parse(target.pool)}/${ImageName.parse(target.image)}` : `file://${target.path}`;
    await this.run(['restore', '-s', VersionUid.parse(uid), url], this.progressOptions(control, /Restored (\d+)\/(\d+) blocks \(([\d.]+)%\)/));
  }

  private progressOptions(control: RunControl, pattern: RegExp): RunOptions {
    return {
      cancelSignal: control.cancelSignal,
      pidFile: control.pidFile,
      stallMs: this.options.stallSeconds === undefined ? undefined : this.options.stallSeconds * 1000,
      onLine: control.onProgress
        ? (line) => {
            const m = pattern.exec(line);
            if (m) control.onProgress!({ blocksDone: Number(m[1]), blocksTotal: Number(m[2]), percent: Number(m[3]) });
          }
        : undefined,
    };
  }
}

/** backy2 `-m` output: a `|`-separated header line, then rows. */
export function parseMachineTable(stdout: string): Array<Record<string, string>> {
  const lines = stdout.split('\n').filter((l) => l.includes('|'));
  const header = lines.shift()?.split('|');
  if (!header) return [];
  return lines.map((line) => Object.fromEntries(line.split('|').map((v, i) => [header[i] ?? `f${i}`, v])));
}

/** backy2 stores naive UTC datetimes (`2020-08-19 01:37:12[.ffffff]`). */
export function backyDateToIso(date: string): string {
  const d = new Date(`${date.trim().replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? date : d.toISOString();
}
