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

/** Marks an image a restore moved aside: `<image>.vmbackup-aside-<YYYYmmddTHHMMSS>`. */
const ASIDE_MARK = '.vmbackup-aside-';
const ASIDE_RE = /^(.+)\.vmbackup-aside-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/;

/** Name of the image a restore (or a put-back) moves `image` aside to at `at`. */
export function asideImageName(image: string, at: Date): string {
  return `${image}${ASIDE_MARK}${at.toISOString().slice(0, 19).replace(/[-:]/g, '')}`;
}

/** Parses a name made by {@link asideImageName}: the image it belongs to and when it was moved; undefined for any other name. */
export function parseAsideImageName(name: string): { belongsTo: string; asideAt: Date } | undefined {
  const m = ASIDE_RE.exec(name);
  if (!m) return undefined;
  const asideAt = new Date(`${m[2]}-${m[3]}-${m[4]}T${m[5]}:${m[6]}:${m[7]}Z`);
  return Number.isNaN(asideAt.getTime()) ? undefined : { belongsTo: m[1]!, asideAt };
}

/**
 * True for any name carrying the aside mark, even one not exactly of the aside
 * form: such an image is never taken for a workload's disk (purge-aside still
 * touches only exact {@link parseAsideImageName} names).
 */
export function hasAsideMark(image: string): boolean {
  return image.includes(ASIDE_MARK);
}

/**
 * The inverse of {@link workloadImage}: the id an image of the workload's pool
 * holds, or undefined for any other image (Nova's `_disk.config`/`.swap`, an image
 * moved aside by a restore, a name that could not be an id). Glance's pattern is
 * any name, so on a pool shared with Nova or Cinder their names are left out.
 */
export function diskIdFromImage(workload: Workload, image: string): string | undefined {
  if (hasAsideMark(image)) return undefined;
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

/** An OpenStack project id as assignments, `where`, `summary` and the `project_` tag take it (Keystone's are hex). */
export const ProjectId = z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/, 'a project id: letters, digits, ".", "_" or "-"');

const PROJECT_TAG_PREFIX = 'project_';

/**
 * `project_<id>`: the owner recorded with a backup version, so `summary`, `where`
 * and `remove-unhandled` know a backup's project after its VM is gone.
 * Undefined for a project id with characters a tag should not carry.
 */
export function projectTag(projectId: string | undefined): string | undefined {
  return projectId !== undefined && ProjectId.safeParse(projectId).success ? PROJECT_TAG_PREFIX + projectId : undefined;
}

/** The project a version's tags record (see {@link projectTag}), if any. */
export function projectFromTags(tags: readonly string[]): string | undefined {
  return tags.find((t) => t.startsWith(PROJECT_TAG_PREFIX))?.slice(PROJECT_TAG_PREFIX.length);
}
