// Read-only access to backy2's SQLite metadata through the `sqlite3` CLI.
//
// Every `backy2` invocation costs ~0.8 s of Python start-up; a backup needs
// several look-ups (versions before, stats after), which on a small disk cost
// more than the copy itself. Reading the same rows straight from the database
// takes milliseconds. Only reads go this way; every change goes through backy2.
// Used only when the host's store is SQLite (`engine: sqlite:///…`); any other
// metadata backend (PostgreSQL) falls back to `backy2 -m ls/stats`.
import { ImageName, VersionUid } from '../../lib/naming.ts';
import { runCommand } from '../exec/run-command.ts';
import { backy2Setting } from './backy2-config.ts';
import type { VersionStat } from '../../lib/forecast/disk-work.ts';
import type { EngineStats, EngineVersion } from './engine.ts';

/** The SQLite file of a backy2 config, or undefined when its metadata lives elsewhere. */
export function sqliteMetaPath(configFile: string): string | undefined {
  return /^sqlite:\/\/\/(\/.+)$/.exec(backy2Setting(configFile, 'MetaBackend', 'engine') ?? '')?.[1];
}

interface VersionRow {
  uid: string;
  date: string;
  name: string;
  snapshot_name: string;
  size_bytes: number;
  valid: number;
  protected: number;
  tags: string | null;
}

export class Backy2SqliteMeta {
  constructor(private readonly dbFile: string) {}

  private async query<T>(sql: string): Promise<T[]> {
    // -readonly: this path never writes; .timeout: wait out backy2's commits instead of failing.
    const { stdout } = await runCommand('sqlite3', ['-readonly', '-json', '-cmd', '.timeout 10000', this.dbFile, sql]);
    return stdout.trim() ? (JSON.parse(stdout) as T[]) : [];
  }

  async listVersions(name?: string): Promise<EngineVersion[]> {
    // Names and uids are checked against strict patterns (no quotes), so inlining them is safe.
    const where = name === undefined ? '' : `WHERE v.name = '${ImageName.parse(name)}'`;
    const rows = await this.query<VersionRow>(
      `SELECT v.uid, v.date, v.name, v.snapshot_name, v.size_bytes, v.valid, v.protected, group_concat(t.name) AS tags
       FROM versions v LEFT JOIN tags t ON t.version_uid = v.uid ${where} GROUP BY v.uid ORDER BY v.date, v.uid`,
    );
    return rows.map((r) => ({
      uid: r.uid,
      name: r.name,
      snapshotName: r.snapshot_name,
      date: new Date(`${r.date.replace(' ', 'T')}Z`).toISOString(),
      sizeBytes: Number(r.size_bytes),
      valid: r.valid === 1,
      protected: r.protected === 1,
      tags: (r.tags ?? '').split(',').filter(Boolean).sort(),
    }));
  }

  async stats(uid: string): Promise<EngineStats | undefined> {
    const [row] = await this.query<Record<string, number>>(
      `SELECT version_size_bytes, bytes_read, bytes_written, bytes_found_dedup, bytes_sparse, duration_seconds FROM stats WHERE version_uid = '${VersionUid.parse(uid)}'`,
    );
    return (
      row && {
        sizeBytes: Number(row.version_size_bytes),
        bytesRead: Number(row.bytes_read),
        bytesWritten: Number(row.bytes_written),
        bytesDedup: Number(row.bytes_found_dedup),
        bytesSparse: Number(row.bytes_sparse),
        durationSeconds: Number(row.duration_seconds),
      }
    );
  }

  async statsSince(since: string): Promise<VersionStat[]> {
    // backy2 stores naive UTC datetimes; the ISO date is checked before it is inlined.
    const rows = await this.query<{ version_uid: string; date: string; version_name: string; version_size_bytes: number; bytes_read: number; duration_seconds: number }>(
      `SELECT version_uid, date, version_name, version_size_bytes, bytes_read, duration_seconds FROM stats WHERE date >= '${backyDate(since)}'`,
    );
    return rows.map((r) => ({
      uid: r.version_uid,
      name: r.version_name,
      date: new Date(`${r.date.replace(' ', 'T')}Z`).toISOString(),
      sizeBytes: Number(r.version_size_bytes),
      bytesRead: Number(r.bytes_read),
      durationSeconds: Number(r.duration_seconds),
    }));
  }
}

/** An ISO 8601 instant as backy2 stores dates (`2026-12-03 01:02:03`). */
export function backyDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: '${iso}'`);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
