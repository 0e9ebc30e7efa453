// Naming rules shared by the CLI, workflows and host activities.
//
// Every name that ends up in an argv (pool, image, snapshot, host, version uid)
// is checked against these schemas first, so nothing that reaches `rbd` or
// `backy2` can carry a shell metacharacter, a path separator or an option flag.
import { z } from 'zod';

const SAFE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** An OpenStack server / volume / image id as it appears in an RBD image name. */
export const VmId = z
  .string()
  .max(128, 'a VM id is at most 128 characters')
  .regex(SAFE_TOKEN, 'a VM id: letters, digits, ".", "_" or "-", starting with a letter or digit');

/** A Ceph pool name. */
export const PoolName = z
  .string()
  .max(128)
  .regex(SAFE_TOKEN, 'a pool name: letters, digits, ".", "_" or "-", starting with a letter or digit');

/** A backup host name; it becomes the suffix of every snapshot this system makes. */
export const HostName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a host name: lower-case letters, digits and "-"');

/** A backy2 version uid (a UUID). */
export const VersionUid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a backy2 version uid (a UUID)');

/** An RBD image or snapshot name as this system makes or reads them. */
export const ImageName = z.string().max(255).regex(SAFE_TOKEN, 'an RBD image name: letters, digits, ".", "_" or "-"');
export const SnapshotName = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'an RBD snapshot name: letters, digits, ".", ":", "_" or "-"');

/** The RBD image that holds a VM's root disk, as Nova names it. */
export function vmDiskImage(vmId: string): string {
  return `${vmId}_disk`;
}

export const Workload = z.enum(['vms', 'volumes', 'images']);
export type Workload = z.infer<typeof Workload>;

/** The RBD image of an OpenStack object: `<vm>_disk` (Nova), `volume-<id>` (Cinder), `<id>` (Glance). */
export function workloadImage(workload: Workload, id: string): string {
  return workload === 'vms' ? vmDiskImage(id) : workload === 'volumes' ? `volume-${id}` : id;
}

/** Marks an image a restore moved aside: `<image>.vmbackup-aside-<time>`. */
const ASIDE_MARK = '.vmbackup-aside-';

/**
 * The inverse of {@link workloadImage}: the id an image of the workload's pool
 * holds, or undefined for any other image (Nova's `_disk.config`/`.swap`, an image
 * moved aside by a restore, a name that could not be an id). Glance's pattern is
 * any name, so on a pool shared with Nova or Cinder their names are left out.
 */
export function diskIdFromImage(workload: Workload, image: string): string | undefined {
  if (image.includes(ASIDE_MARK)) return undefined;
  const id =
    workload === 'vms'
      ? /^(.+)_disk$/.exec(image)?.[1]
      : workload === 'volumes'
        ? /^volume-(.+)$/.exec(image)?.[1]
        : /_disk(\.|$)|^volume-/.test(image)
          ? undefined
          : image;
  return id !== undefined && VmId.safeParse(id).success ? id : undefined;
}

const SNAPSHOT_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})_([a-z0-9-]+)$/;

/**
 * Snapshot name of a backup made at `at` by `host`: `<YYYY-mm-ddTHH:MM:SS>_<host>`.
 * The same format the existing tooling uses, so a store it made is read as it is.
 */
export function backupSnapshotName(at: Date, host: string): string {
  return `${at.toISOString().slice(0, 19)}_${host}`;
}

/** Parses a snapshot name made by {@link backupSnapshotName}; undefined for anyone else's. */
export function parseBackupSnapshotName(name: string): { takenAt: Date; host: string } | undefined {
  const m = SNAPSHOT_RE.exec(name);
  if (!m) return undefined;
  const takenAt = new Date(`${m[1]}Z`);
  if (Number.isNaN(takenAt.getTime())) return undefined;
  return { takenAt, host: m[2]! };
}

/** True when `snapshot` was made by this system on `host` (the host suffix tells). */
export function isOwnSnapshot(snapshot: string, host: string): boolean {
  return parseBackupSnapshotName(snapshot)?.host === host;
}

/** UTC calendar day of `at`, `YYYY-mm-dd`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
