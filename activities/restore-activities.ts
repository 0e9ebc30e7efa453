// The steps of an in-place restore, as activities on the backup host that holds
// the version. Each is idempotent, and each has an undo the workflow runs (newest
// first) when a later step fails for good.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { isNotFound } from './ceph/rbd.ts';
import { reapOrphan } from './exec/orphans.ts';
import { withHeartbeat } from './heartbeat.ts';
import type { HostDeps } from './host-deps.ts';

export interface ImageRef {
  pool: string;
  image: string;
}

export interface VersionCheck {
  versionDate: string;
  snapshotName: string;
  sizeBytes: number;
  imageExists: boolean;
}

export function createRestoreActivities(deps: HostDeps) {
  const { rbd, engine, compute, host } = deps;
  const pidFileFor = (d: ImageRef) => join(deps.paths.run, `restore.${d.pool}.${d.image}.pid`);
  const exists = async (pool: string, image: string) => (await rbd.imageSize(pool, image)) !== undefined;

  /** Polls the server until it reaches `status`, heartbeating; fails for good after `waitSeconds`. */
  async function waitForServer(vmId: string, status: 'SHUTOFF' | 'ACTIVE', waitSeconds: number): Promise<void> {
    const deadline = Date.now() + waitSeconds * 1000;
    await withHeartbeat({ step: status === 'SHUTOFF' ? 'stop' : 'start' }, async () => {
      for (;;) {
        const server = await compute.show(vmId);
        if (!server) throw ApplicationFailure.create({ type: 'UnknownVmError', nonRetryable: true, message: `VM ${vmId} is not known to the compute service` });
        if (server.status === status) return;
        if (server.status === 'ERROR') throw ApplicationFailure.create({ nonRetryable: true, message: `VM ${vmId} went to ERROR while waiting for ${status}` });
        if (Date.now() > deadline) {
          throw ApplicationFailure.create({ nonRetryable: true, message: `VM ${vmId} is still ${server.status} after ${waitSeconds} s (waiting for ${status})` });
        }
        await sleep(1000, undefined, { signal: Context.current().cancellationSignal });
      }
    });
  }

  return {
    /** The servers of a project, from the compute service (for a mass restore). */
    async listProjectServers(input: { project: string }): Promise<Array<{ id: string; name: string }>> {
      const servers = await compute.listServers();
      return servers.filter((s) => s.projectId === input.project).map((s) => ({ id: s.id, name: s.name }));
    },

    /** The version exists on this host, is valid and belongs to this disk; reads the disk's state. Changes nothing. */
    async checkRestore(input: ImageRef & { vmId: string; versionUid: string; aside: string; host: string }): Promise<VersionCheck> {
      if (input.host !== host.name) {
        throw ApplicationFailure.create({ type: 'InvalidInputError', nonRetryable: true, message: `a restore from ${input.host}'s store reached ${host.name}'s worker` });
      }
      const version = (await engine.listVersions()).find((v) => v.uid === input.versionUid);
      if (!version) {
        throw ApplicationFailure.create({ type: 'UnknownVersionError', nonRetryable: true, message: `no version ${input.versionUid} on ${host.name}; see \`vmbackup ls ${input.vmId}\`` });
      }
      if (version.name !== input.image) {
        throw ApplicationFailure.create({
          type: 'InvalidInputError',
          nonRetryable: true,
          message: `version ${input.versionUid} is a backup of ${version.name}, not of ${input.image}; nothing was changed`,
        });
      }
      if (!version.valid) {
        throw ApplicationFailure.create({ type: 'InvalidInputError', nonRetryable: true, message: `version ${input.versionUid} is not valid (a failed or running backup); pick another` });
      }
      return {
        versionDate: version.date,
        snapshotName: version.snapshotName,
        sizeBytes: version.sizeBytes,
        imageExists: await exists(input.pool, input.image),
      };
    },

    async stopServer(input: { vmId: string; waitSeconds: number }): Promise<{ wasRunning: boolean }> {
      const before = await compute.show(input.vmId);
      if (!before) return { wasRunning: false };
      if (before.status !== 'SHUTOFF') await compute.stop(input.vmId);
      await waitForServer(input.vmId, 'SHUTOFF', input.waitSeconds);
      return { wasRunning: before.status !== 'SHUTOFF' };
    },

    async startServer(input: { vmId: string; waitSeconds: number }): Promise<void> {
      if (!(await compute.show(input.vmId))) return;
      await compute.start(input.vmId);
      await waitForServer(input.vmId, 'ACTIVE', input.waitSeconds);
    },

    /** Nobody may have the image open: a VM that has not really stopped still watches it. Retried until the watchers go. */
    async checkNoWatchers(input: ImageRef): Promise<void> {
      const watchers = await rbd.watchers(input.pool, input.image);
      if (watchers.length) {
        throw ApplicationFailure.create({
          type: 'ImageInUseError',
          message: `${input.pool}/${input.image} is still open by ${watchers.join(', ')}: is the VM really stopped?`,
        });
      }
    },

    /** Renames the current image aside (never deletes it); done already when only the aside name exists. */
    async moveAside(input: ImageRef & { aside: string }): Promise<void> {
      try {
        await rbd.rename(input.pool, input.image, input.aside);
      } catch (err) {
        // Gone from its name but there under the aside name: an earlier attempt did it.
        if (isNotFound(err) && (await exists(input.pool, input.aside))) return;
        throw err;
      }
    },

    /** Undo of moveAside: puts the original back under its name. */
    async moveBack(input: ImageRef & { aside: string }): Promise<void> {
      if (!(await exists(input.pool, input.aside))) return;
      if (await exists(input.pool, input.image)) throw new Error(`${input.pool}/${input.image} exists; remove the half-restored image first`);
      await rbd.rename(input.pool, input.aside, input.image);
    },

    /** Undo of restoreVersion: removes a (half-)restored image. Only ever called while the original is safe under its aside name. */
    async removeRestored(input: ImageRef & { aside: string }): Promise<void> {
      await reapOrphan(pidFileFor(input), (m) => log.warn(m));
      if (!(await exists(input.pool, input.aside))) throw new Error(`refusing to remove ${input.pool}/${input.image}: the original is not under ${input.aside}`);
      try {
        await rbd.purgeSnapshots(input.pool, input.image); // e.g. the `snap` a Glance restore made
        await rbd.removeImage(input.pool, input.image);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    /** Glance reads an image through its protected snapshot `snap`: create it and protect it, unless already so. */
    async protectGlanceSnapshot(input: ImageRef): Promise<void> {
      const snap = (await rbd.listSnapshots(input.pool, input.image)).find((s) => s.name === 'snap');
      if (!snap) await rbd.createSnapshot(input.pool, input.image, 'snap');
      if (!snap?.protected) await rbd.protectSnapshot(input.pool, input.image, 'snap');
    },

    /**
     * `backy2 restore -s` of the version into the pool. A retry stops an orphaned
     * restore and removes its half-written image before writing again.
     */
    async restoreVersion(input: ImageRef & { versionUid: string; aside: string; sizeBytes: number }): Promise<void> {
      const pidFile = pidFileFor(input);
      await reapOrphan(pidFile, (m) => log.warn(m));
      if (await exists(input.pool, input.image)) {
        if (!(await exists(input.pool, input.aside))) throw new Error(`${input.pool}/${input.image} exists and was not moved aside; not overwriting it`);
        log.warn(`removing ${input.pool}/${input.image} left by an earlier attempt`);
        await rbd.removeImage(input.pool, input.image);
      }
      const bytesTotal = input.sizeBytes;
      await withHeartbeat({ step: 'restore', percent: 0, bytesDone: 0, bytesTotal }, (report) =>
        engine.restore(
          input.versionUid,
          { kind: 'rbd', pool: input.pool, image: input.image },
          {
            pidFile,
            cancelSignal: Context.current().cancellationSignal,
            onProgress: ({ percent }) => report({ step: 'restore', percent, bytesDone: Math.round((bytesTotal * percent) / 100), bytesTotal }),
          },
        ),
      );
    },
  };
}

export type RestoreActivities = ReturnType<typeof createRestoreActivities>;
