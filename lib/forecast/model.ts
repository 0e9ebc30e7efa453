// How long a host's next night takes (`vmbackup plan`). Pure, so the CLI, the
// bench and the unit tests predict the same way.
//
// The model. A night runs `c` lanes (the host's concurrency), each taking the
// next disk; a disk costs a fixed `f` seconds (snapshot, rbd diff, backy2's
// start-up, its child workflow, the night's own steps spread over its disks)
// plus its bytes read over the host's per-lane read throughput `r`:
//
//   W = Σ (f + bytes_i / r)           work of the night, in lane-seconds
//   D ≈ max(W / min(c, n), max_i t_i) the night: lanes share the work, and no
//                                     night is shorter than its longest disk
//
// Greedy lanes finish between that bound and W/c + max t_i, so the estimate is
// tight when many small disks share the lanes, and low by up to one disk's time
// when one huge disk starts last. bytes_i is the disk's whole size when it has
// no valid version on the host (a full backup), else its recent changed bytes.
//
// Fitted from what was measured: `r` from the store's own stats (backy2 records
// bytes read and seconds per version: its copies only), `f` from the nights'
// summaries (duration, disks, bytes read; in visibility, so no history is read):
// what of a night's lane-seconds the copies do not explain, per disk.

/** One measured night of a host, from its summary memo. */
export interface MeasuredNight {
  durationSeconds: number;
  /** Disks backed up (full + incremental). */
  disks: number;
  bytesRead: number;
}

/** A host's fitted figures. */
export interface HostModel {
  /** Lane-seconds each disk costs besides reading. */
  fixedSecondsPerDisk: number;
  /** Bytes per second one lane reads (under this concurrency); Infinity when nothing was ever measured. */
  readBytesPerSecond: number;
  concurrency: number;
  /** Nights the fixed cost was fitted from. */
  nights: number;
}

/** The work of a set of disks: what a prediction needs, summed (so it scales to any number of disks). */
export interface Work {
  disks: number;
  bytes: number;
  /** The largest single disk's bytes. */
  maxDiskBytes: number;
}

export const NO_WORK: Work = { disks: 0, bytes: 0, maxDiskBytes: 0 };

export function addWork(a: Work, b: Work): Work {
  return { disks: a.disks + b.disks, bytes: a.bytes + b.bytes, maxDiskBytes: Math.max(a.maxDiskBytes, b.maxDiskBytes) };
}

/** Lane-seconds of `work` on a host: Σ (f + bytes / r). */
export function laneSeconds(work: Work, model: HostModel): number {
  return work.disks * model.fixedSecondsPerDisk + work.bytes / model.readBytesPerSecond;
}

/** The predicted night, in seconds (0 for no disks). */
export function predictSeconds(work: Work, model: HostModel): number {
  if (work.disks === 0) return 0;
  const lanes = Math.min(model.concurrency, work.disks);
  const longest = model.fixedSecondsPerDisk + work.maxDiskBytes / model.readBytesPerSecond;
  return Math.max(laneSeconds(work, model) / lanes, longest);
}

/**
 * The fixed cost per disk that explains the measured nights at throughput `r`:
 * for each night, (lanes × duration − bytes / r) / disks; the median over the
 * nights (one odd night, a slow store or a restore beside it, moves it little).
 * Undefined when no night backed up anything.
 */
export function fitFixedSeconds(nights: readonly MeasuredNight[], readBytesPerSecond: number, concurrency: number): number | undefined {
  const perNight = nights
    .filter((n) => n.disks > 0 && n.durationSeconds > 0)
    .map((n) => Math.max(0, (Math.min(concurrency, n.disks) * n.durationSeconds - n.bytesRead / readBytesPerSecond) / n.disks))
    .sort((a, b) => a - b);
  if (perNight.length === 0) return undefined;
  const mid = Math.floor(perNight.length / 2);
  return perNight.length % 2 ? perNight[mid]! : (perNight[mid - 1]! + perNight[mid]!) / 2;
}

/** A host's model from its measured nights and its store's read rate; undefined with no measured night. */
export function fitHostModel(nights: readonly MeasuredNight[], readBytesPerSecond: number | undefined, concurrency: number): HostModel | undefined {
  const r = readBytesPerSecond !== undefined && readBytesPerSecond > 0 ? readBytesPerSecond : Infinity;
  const f = fitFixedSeconds(nights, r, concurrency);
  if (f === undefined) return undefined;
  return { fixedSecondsPerDisk: f, readBytesPerSecond: r, concurrency, nights: nights.filter((n) => n.disks > 0 && n.durationSeconds > 0).length };
}
