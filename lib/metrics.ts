// Our metric names, in one place: activities, workflows and the worker's
// exporter emit them through the SDK's metric meter, so they come out of the
// same Prometheus endpoint as the SDK's own (docs/monitoring.md lists them).
// Labels stay bounded: host, workload, kind, reason, never a disk id (a host
// has thousands of disks; per-disk series would dwarf everything else).
import type { MetricMeter } from '@temporalio/common';

export const METRICS = {
  // Activities, per backup made (counters: the worker that made it counts it).
  backupsMade: 'vmbackup_backups',
  bytesRead: 'vmbackup_backup_read_bytes',
  bytesWritten: 'vmbackup_backup_written_bytes',
  lastBackupSuccess: 'vmbackup_backup_last_success_timestamp_seconds',
  // Workflows (replay-safe: the SDK drops them while replaying).
  diskFailures: 'vmbackup_night_disk_failures',
  nightsFinished: 'vmbackup_nights',
  nightDuration: 'vmbackup_night_duration_seconds',
  // The worker's exporter, from Temporal every refresh.
  queuePollers: 'vmbackup_host_queue_pollers',
  nightLastSuccess: 'vmbackup_night_last_success_timestamp_seconds',
  nightLastFailed: 'vmbackup_night_last_failed',
  nightRunning: 'vmbackup_night_running_seconds',
  schedulePaused: 'vmbackup_schedule_paused',
  scheduleMissing: 'vmbackup_schedule_missing',
  checkLastFailed: 'vmbackup_check_last_failed',
  checkLastRun: 'vmbackup_check_last_run_timestamp_seconds',
  // The worker's exporter, from its store and Ceph.
  storeVersions: 'vmbackup_store_versions',
  storeLogicalBytes: 'vmbackup_store_logical_bytes',
  storeFsSize: 'vmbackup_store_filesystem_size_bytes',
  storeFsAvail: 'vmbackup_store_filesystem_avail_bytes',
  disksBackedUp: 'vmbackup_disks',
  disksStale: 'vmbackup_disks_stale',
  snapshotsLeftBehind: 'vmbackup_snapshots_left_behind',
  refreshOk: 'vmbackup_health_refresh_ok',
  refreshLast: 'vmbackup_health_refresh_timestamp_seconds',
} as const;

/** What a finished backup adds: by host and kind (full, incremental). */
export function recordBackupMade(meter: MetricMeter, host: string, kind: string, stats: { bytesRead: number; bytesWritten: number } | undefined, at: Date): void {
  const tags = { host, kind };
  meter.createCounter(METRICS.backupsMade, '1', 'backups made').add(1, tags);
  meter.createCounter(METRICS.bytesRead, 'By', 'bytes the engine read from Ceph').add(stats?.bytesRead ?? 0, tags);
  meter.createCounter(METRICS.bytesWritten, 'By', 'bytes the engine wrote to the store (after dedup)').add(stats?.bytesWritten ?? 0, tags);
  meter.createGauge(METRICS.lastBackupSuccess, 'float', 's', 'when this worker last made a backup of any disk of the host').set(at.getTime() / 1000, { host });
}
