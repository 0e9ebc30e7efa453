// The runbook's four steps for one disk, as activities on the backup host.
// Each is idempotent: a retry after a crash finds its step done and moves on.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { expiryTag, KIND_TAGS, periodicTags } from '../lib/backup-tags.ts';
import { StoreFullError } from '../lib/errors.ts';
import { recordBackupMade } from '../lib/metrics.ts';
import { isOwnSnapshot, parseBackupSnapshotName, projectTag } from '../lib/naming.ts';
import type { BackupKind } from '../lib/operations/backup.ts';
import { isAlreadyExists, isNotFound, isProtected, parseDiff } from './ceph/rbd.ts';
import type { EngineStats, EngineVersion } from './engine/engine.ts';
import { reapOrphan } from './exec/orphans.ts';
import { withHeartbeat } from './heartbeat.ts';
import type { ServerState } from './compute/compute-driver.ts';
import type { HostDeps } from './host-deps.ts';
import { holdCopy, holdPoint } from './test-hooks.ts';
import { clearNeedsFull, needsFull, needsFullReason } from './verify/needs-full.ts';

export interface DiskRef {
  pool: string;
  image: string;
}

export interface DiskState {
  sizeBytes?: number | undefined;
  /** This host's snapshots on the image, oldest first. */
  ownSnapshots: string[];
  /** The newest own snapshot that a valid version was made from: the base of an incremental backup. */
  base?: { snapshot: string; uid: string } | undefined;
  /** Why the next backup is full, when it is. */
  fullReason?: string | undefined;
}

export interface HintsResult {
  hintsFile: string;
  /** Bytes the hints mark as to be read. */
  hintedBytes: number;
  extents: number;
  /** The snapshot the diff was taken from; undefined when the hints cover the whole disk. */
  fromSnapshot?: string | undefined;
}

export interface BackupSnapshotInput extends DiskRef {
  snapshot: string;
  kind: BackupKind;
  hints: HintsResult;
  baseUid?: string | undefined;
  liveForDays: number;
  /** Owning project, recorded as a tag. */
  project?: string | undefined;
}

export interface BackupSnapshotResult {
  uid: string;
  kind: BackupKind;
  tags: string[];
  stats?: EngineStats | undefined;
  /** True when a valid version of this snapshot already existed (a retry after the work was done). */
  adopted: boolean;
  /** Set when the planned base could not be used and the whole disk was read. */
  fullReason?: string | undefined;
}

export interface PreparedBackup {
  state: DiskState;
  /** What was recorded for a lost VM's rescue; undefined when there was nothing to record. */
  server?: ServerState | undefined;
  hints: HintsResult;
}

export interface FinishedBackup {
  made: BackupSnapshotResult;
  removed: string[];
}

export function createBackupActivities(deps: HostDeps) {
  const steps = createBackupSteps(deps);
  return {
    /** A dry run's look at the disk (with its size); a real backup inspects inside prepareBackup. */
    inspectDisk: steps.inspectDisk,
    /**
     * Everything before the copy in one activity: inspectDisk, recordServerMetadata
     * (when asked), createSnapshot, computeHints. Each step is idempotent, so the
     * whole is; one task round trip instead of four matters when the host's
     * cores are what a night of thousands of small disks waits on.
     */
    async prepareBackup(input: DiskRef & { vmId: string; host: string; snapshot: string; recordServer: boolean }): Promise<PreparedBackup> {
      const disk = { pool: input.pool, image: input.image };
      const state = await steps.inspectDisk({ ...disk, vmId: input.vmId, host: input.host });
      const [server] = await Promise.all([
        input.recordServer ? steps.recordServerMetadata({ ...disk, vmId: input.vmId, snapshot: input.snapshot }) : Promise.resolve(undefined),
        steps.createSnapshot({ ...disk, snapshot: input.snapshot }),
      ]);
      await holdPoint('backup.after-snapshot', input.image);
      const hints = await steps.computeHints({ ...disk, snapshot: input.snapshot, fromSnapshot: state.base?.snapshot });
      await holdPoint('backup.after-diff', input.image);
      return { state, server, hints };
    },

    /** backupSnapshot, with the old snapshots removed while it copies (the hints no longer need them). */
    async finishBackup(input: BackupSnapshotInput & { snapshotsToRemove: string[] }): Promise<FinishedBackup> {
      const { snapshotsToRemove, ...copy } = input;
      await holdPoint('backup.before-copy', input.image);
      // allSettled: a failed removal must not end the activity while backy2 still copies.
      const [removal, copied] = await Promise.allSettled([
        steps.removeOwnSnapshots({ pool: input.pool, image: input.image, snapshots: snapshotsToRemove }),
        steps.backupSnapshot(copy),
      ]);
      if (copied.status === 'rejected') throw copied.reason;
      if (removal.status === 'rejected') throw removal.reason; // the retry adopts the version and removes again
      // An adopted version was counted by the attempt that made it.
      if (!copied.value.adopted) recordBackupMade(Context.current().metricMeter, deps.host.name, copied.value.kind, copied.value.stats, new Date());
      return { made: copied.value, removed: removal.value.removed };
    },
  };
}

function createBackupSteps(deps: HostDeps) {
  const { rbd, engine, host } = deps;
  const hintsFileFor = (d: DiskRef, snapshot: string) => join(deps.paths.hints, `${d.pool}.${d.image}@${snapshot}.json`);
  const pidFileFor = (d: DiskRef, snapshot: string) => join(deps.paths.run, `backup.${d.pool}.${d.image}@${snapshot}.pid`);

  const steps = {
    /**
     * Reads this host's snapshots on the disk and the versions made from them,
     * and the disk's size when asked (a dry run shows it). Changes nothing.
     */
    async inspectDisk(disk: DiskRef & { vmId: string; host: string; withSize?: boolean }): Promise<DiskState> {
      if (disk.host !== host.name) {
        throw ApplicationFailure.create({
          type: 'InvalidInputError',
          nonRetryable: true,
          message: `a backup for host ${disk.host} reached host ${host.name}'s worker: start it on ${disk.host}'s task queue`,
        });
      }
      let snapshots;
      try {
        snapshots = await rbd.listSnapshots(disk.pool, disk.image);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        throw ApplicationFailure.create({
          type: 'UnknownVmError',
          nonRetryable: true,
          message: `VM ${disk.vmId}: no disk ${disk.pool}/${disk.image} in Ceph. Check the VM id and workloads.vms.pool; nothing was changed.`,
        });
      }
      const ownSnapshots = snapshots.map((s) => s.name).filter((name) => isOwnSnapshot(name, host.name)).sort();
      const sizeBytes = disk.withSize ? await rbd.imageSize(disk.pool, disk.image) : undefined;
      const versions = await engine.listVersions(disk.image);
      const mark = needsFull(deps.paths.verify, disk.image);
      if (mark) return { sizeBytes, ownSnapshots, fullReason: needsFullReason(mark) };
      for (const snapshot of [...ownSnapshots].reverse()) {
        const made = versions.findLast((v) => v.snapshotName === snapshot && v.valid);
        if (made) return { sizeBytes, ownSnapshots, base: { snapshot, uid: made.uid } };
      }
      const fullReason =
        ownSnapshots.length === 0
          ? `no earlier snapshot by ${host.name} on the image`
          : `no valid backup of ${host.name}'s snapshot ${ownSnapshots.at(-1)}`;
      return { sizeBytes, ownSnapshots, fullReason };
    },

    /**
     * Records what a lost VM needs to come back (name, project, flavor, image,
     * networks, security groups, volumes), next to this host's store, keyed by
     * the backup's snapshot name. Nothing to record for a disk the compute
     * service does not know (or with the `none` driver).
     */
    async recordServerMetadata(input: DiskRef & { vmId: string; snapshot: string }): Promise<ServerState | undefined> {
      const server = await deps.compute.show(input.vmId);
      if (!server) return undefined;
      const file = serverMetadataFile(deps.paths.metadata, input.pool, input.image, input.snapshot);
      mkdirSync(deps.paths.metadata, { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(server, null, 2));
      renameSync(`${file}.tmp`, file);
      return server;
    },

    /** Creates today's snapshot; one of that name already there means a retry, and is kept. */
    async createSnapshot(input: DiskRef & { snapshot: string }): Promise<{ created: boolean }> {
      try {
        await rbd.createSnapshot(input.pool, input.image, input.snapshot);
        return { created: true };
      } catch (err) {
        if (isAlreadyExists(err)) return { created: false };
        throw err;
      }
    },

    /**
     * Writes the backy2 hints (the changed extents since `fromSnapshot`, or every
     * allocated extent) to a file on this host, before the old snapshot goes.
     * A file already there from an earlier attempt is reused as it is.
     */
    async computeHints(input: DiskRef & { snapshot: string; fromSnapshot?: string | undefined }): Promise<HintsResult> {
      const hintsFile = hintsFileFor(input, input.snapshot);
      const meta = `${hintsFile}.meta`;
      if (existsSync(hintsFile) && existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as HintsResult;
      const diff = (from: string | undefined) =>
        withHeartbeat({ step: 'diff' }, () => rbd.diffJson(input.pool, input.image, input.snapshot, from, { cancelSignal: Context.current().cancellationSignal }));
      let from = input.fromSnapshot;
      let json: string;
      try {
        json = await diff(from);
      } catch (err) {
        if (!from || !isNotFound(err)) throw err;
        log.warn(`snapshot ${from} is gone; hints will cover the whole disk`);
        from = undefined;
        json = await diff(from);
      }
      const extents = parseDiff(json);
      const result: HintsResult = {
        hintsFile,
        hintedBytes: extents.filter((e) => e.exists).reduce((sum, e) => sum + e.length, 0),
        extents: extents.length,
        fromSnapshot: from,
      };
      mkdirSync(deps.paths.hints, { recursive: true });
      // Written to a temporary name and renamed, so a crash never leaves half a hints file.
      writeFileSync(`${hintsFile}.tmp`, `${json}\n`);
      renameSync(`${hintsFile}.tmp`, hintsFile);
      writeFileSync(`${meta}.tmp`, JSON.stringify(result));
      renameSync(`${meta}.tmp`, meta);
      return result;
    },

    /**
     * Removes the given snapshots of this host (yesterday's, and any a crashed
     * run left); a name without this host's suffix is never touched, a
     * protected snapshot is kept and reported, one already gone is fine.
     */
    async removeOwnSnapshots(input: DiskRef & { snapshots: string[] }): Promise<{ removed: string[]; kept: string[] }> {
      const removed: string[] = [];
      const kept: string[] = [];
      for (const name of input.snapshots) {
        if (!isOwnSnapshot(name, host.name)) {
          kept.push(name);
          continue;
        }
        try {
          await rbd.removeSnapshot(input.pool, input.image, name);
          removed.push(name);
        } catch (err) {
          if (isNotFound(err)) removed.push(name); // a retry after it was removed
          else if (isProtected(err)) kept.push(name);
          else throw err;
        }
      }
      if (kept.length) log.warn(`kept snapshots of ${input.image}: ${kept.join(', ')}`);
      return { removed, kept };
    },

    /**
     * Backs the snapshot up with backy2. Idempotent: an orphaned backy2 of an
     * earlier attempt is stopped first; a valid version of this snapshot is
     * adopted as the result; a half-made (invalid) one is removed and redone.
     */
    async backupSnapshot(input: BackupSnapshotInput): Promise<BackupSnapshotResult> {
      const pidFile = pidFileFor(input, input.snapshot);
      await reapOrphan(pidFile, (m) => log.warn(m));
      let versions = await engine.listVersions(input.image);
      const done = versions.findLast((v) => v.snapshotName === input.snapshot && v.valid);
      if (done) {
        log.info(`version ${done.uid} of ${input.image}@${input.snapshot} already exists; adopting it`);
        return { uid: done.uid, kind: kindOf(done), tags: done.tags, stats: await engine.stats(done.uid), adopted: true };
      }
      for (const partial of versions.filter((v) => v.snapshotName === input.snapshot)) {
        log.warn(`removing invalid version ${partial.uid} left by an earlier attempt`);
        await engine.remove(partial.uid);
      }
      versions = versions.filter((v) => v.snapshotName !== input.snapshot);

      // A diff is only correct on top of its base, and whole-disk hints list no
      // discarded extents, so they are only correct without one. Anything else
      // reads the whole disk (backy2 then stores only blocks it has not seen).
      let { kind, baseUid } = input;
      let fullReason: string | undefined;
      const started = new Date();
      const mark = needsFull(deps.paths.verify, input.image);
      if (kind === 'incremental' && mark) {
        // A check confirmed a bad version after this backup was planned.
        fullReason = needsFullReason(mark);
        log.warn(`${input.image}: full backup instead: ${fullReason}`);
        kind = 'full';
        baseUid = undefined;
      } else if (kind === 'incremental' && !versions.some((v) => v.uid === baseUid && v.valid)) {
        fullReason = `base version ${baseUid} is no longer valid`;
        log.warn(`${input.image}: full backup instead: ${fullReason}`);
        kind = 'full';
        baseUid = undefined;
      }
      const hintsMatch = (input.hints.fromSnapshot !== undefined) === (kind === 'incremental');
      const hintsFile = hintsMatch && existsSync(input.hints.hintsFile) ? input.hints.hintsFile : undefined;
      if (!hintsFile) log.warn(`${input.image}: no usable hints; reading the whole disk`);

      const takenAt = parseBackupSnapshotName(input.snapshot)?.takenAt ?? new Date();
      const earlier = versions.filter((v) => v.valid).map((v) => ({ date: new Date(v.date), tags: v.tags }));
      const project = projectTag(input.project);
      const tags = [KIND_TAGS[kind], ...periodicTags(takenAt, earlier), expiryTag(takenAt, input.liveForDays), ...(project ? [project] : [])];
      const bytesTotal = hintsFile ? input.hints.hintedBytes : ((await rbd.imageSize(input.pool, input.image)) ?? 0);
      // The disk's size tells the engine whether backy2's sanity check of a diff can run
      // (engine/backy2-hints.ts). The base version's size is the disk's unless it was resized
      // since, and it costs no `rbd` call.
      const sizeBytes = versions.find((v) => v.uid === baseUid)?.sizeBytes;

      const removeHalfMade = async () => {
        for (const v of await engine.listVersions(input.image)) {
          if (v.snapshotName === input.snapshot && !v.valid) await engine.remove(v.uid);
        }
      };
      let uid: string;
      try {
        uid = await withHeartbeat({ step: 'backup', percent: 0, bytesDone: 0, bytesTotal }, (report) =>
          engine.backup(
            { name: input.image, source: { pool: input.pool, image: input.image, snapshot: input.snapshot }, hintsFile, baseUid, tags, sizeBytes },
            {
              pidFile,
              cancelSignal: Context.current().cancellationSignal,
              onProgress: ({ percent }) => {
                holdCopy('backup.during-copy', input.image, pidFile);
                report({ step: 'backup', percent, bytesDone: Math.round((bytesTotal * percent) / 100), bytesTotal });
              },
            },
          ),
        );
      } catch (err) {
        // A cancelled copy leaves nothing behind: backy2 has been killed, its
        // half-made version goes too. (A failed one is cleaned by the retry.)
        if (Context.current().cancellationSignal.aborted) {
          log.warn(`backup of ${input.image}@${input.snapshot} cancelled; removing the half-made version`);
          await removeHalfMade();
        }
        // A full store is not retried (lib/errors.ts), so no retry cleans up: the half-made
        // version goes now, and so does today's snapshot, which no version was made from. The
        // old one was removed while the copy ran, so the next run finds no snapshot of this
        // host and makes a full backup (the store dedups what it already holds).
        if (err instanceof StoreFullError) {
          log.warn(`backup of ${input.image}@${input.snapshot}: the store is full; removing the half-made version and the snapshot`);
          // Best effort: with the metadata on the full filesystem too, even `backy2 rm` may fail;
          // an invalid version is never a base, and remove-invalids takes it later. The operator
          // must see the full store, not this.
          await removeHalfMade().catch((e: unknown) => log.warn(`half-made version of ${input.image}@${input.snapshot} not removed: ${(e as Error).message}`));
          await steps.removeOwnSnapshots({ pool: input.pool, image: input.image, snapshots: [input.snapshot] });
        }
        throw err;
      }
      rmSync(input.hints.hintsFile, { force: true });
      rmSync(`${input.hints.hintsFile}.meta`, { force: true });
      if (kind === 'full') clearNeedsFull(deps.paths.verify, input.image, started);
      return { uid, kind, tags, stats: await engine.stats(uid), adopted: false, fullReason };
    },
  };
  return steps;
}

/** Where the server metadata of one backup is kept on its host. */
export function serverMetadataFile(dir: string, pool: string, image: string, snapshot: string): string {
  return join(dir, `${pool}.${image}@${snapshot}.json`);
}

function kindOf(v: EngineVersion): BackupKind {
  return v.tags.includes(KIND_TAGS.incremental) ? 'incremental' : 'full';
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
