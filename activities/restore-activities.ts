// The steps of an in-place restore, as activities on the backup host that holds
// the version. Each is idempotent, and each has an undo the workflow runs (newest
// first) when a later step fails for good.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { serverMetadataFile } from './backup-activities.ts';
import { isNotFound } from './ceph/rbd.ts';
import type { ServerState } from './compute/compute-driver.ts';
import { reapOrphan } from './exec/orphans.ts';
import { withHeartbeat } from './heartbeat.ts';
import { RESCUE_MARK } from '../lib/operations/rescue.ts';
import { ASIDE_META } from '../lib/operations/restore.ts';
import type { HostDeps } from './host-deps.ts';
import { holdCopy, holdPoint } from './test-hooks.ts';

export interface ImageRef {
  pool: string;
  image: string;
}

export interface VersionCheck {
  versionDate: string;
  snapshotName: string;
  sizeBytes: number;
  imageExists: boolean;
  /** The VM runs now (asked only when the restore manages it): a restore cut short starts it again. */
  serverRunning: boolean;
  /** The VM's name and project, as the compute driver knows them (when the restore manages it): for the audit trail. */
  server?: { name: string; projectId: string } | undefined;
}

export function createRestoreActivities(deps: HostDeps) {
  const { rbd, engine, compute, host } = deps;
  const pidFileFor = (d: ImageRef) => join(deps.paths.run, `restore.${d.pool}.${d.image}.pid`);
  const exists = async (pool: string, image: string) => (await rbd.imageSize(pool, image)) !== undefined;
  /** `rbd rm` (and `snap purge`) of a big image takes minutes: heartbeat meanwhile, and stop it when the activity is cancelled. */
  const removeHeartbeating = (d: ImageRef, withSnapshots = false) =>
    withHeartbeat({ step: 'remove' }, async () => {
      if (withSnapshots) await rbd.purgeSnapshots(d.pool, d.image); // e.g. the `snap` a Glance restore made
      await rbd.removeImage(d.pool, d.image, { cancelSignal: Context.current().cancellationSignal });
    });

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
    /** The server metadata recorded with a backup (see recordServerMetadata), if any. */
    async readServerMetadata(input: ImageRef & { snapshot: string }): Promise<ServerState | undefined> {
      const file = serverMetadataFile(deps.paths.metadata, input.pool, input.image, input.snapshot);
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ServerState) : undefined;
    },

    /** A rescue is for a VM that is gone; one that still exists is restored in place instead. */
    async checkServerGone(input: { vmId: string }): Promise<void> {
      if (await compute.show(input.vmId)) {
        throw ApplicationFailure.create({
          type: 'InvalidInputError',
          nonRetryable: true,
          message: `VM ${input.vmId} still exists: roll its disk back with \`vmbackup restore ${input.vmId}\` instead`,
        });
      }
    },

    /**
     * Creates the replacement server, marked with the rescue's workflow id
     * (RESCUE_MARK). Idempotent: a server of that name in that project that
     * carries this rescue's mark (an earlier attempt made it) is taken instead of
     * making another. A same-name server without that mark is someone else's:
     * it is never touched, and the rescue fails before it changes anything.
     */
    async createRescueServer(input: { name: string; projectId: string; flavor: string; image: string; network: string; oldId: string; mark: string }): Promise<{ id: string }> {
      const sameName = (await compute.listServers()).filter((s) => s.name === input.name && s.projectId === input.projectId && s.id !== input.oldId);
      const others: string[] = [];
      for (const s of sameName) {
        const mark = (await compute.show(s.id))?.properties?.[RESCUE_MARK];
        if (mark === input.mark) return { id: s.id };
        others.push(mark ? `${s.id}, made by the earlier rescue ${mark}` : s.id);
      }
      if (others.length) {
        throw ApplicationFailure.create({
          type: 'RescueError',
          nonRetryable: true,
          message:
            `a server named ${input.name} already exists in project ${input.projectId} (${others.join('; ')}) and this rescue did not make it; ` +
            'it was not touched and nothing was created. Rename or remove that server if it is not needed, then rescue again',
        });
      }
      const { name, projectId, flavor, image, network } = input;
      return compute.create({ name, projectId, flavor, image, network, properties: { [RESCUE_MARK]: input.mark } });
    },

    /** The servers of a project, from the compute service (for a mass restore). */
    async listProjectServers(input: { project: string }): Promise<Array<{ id: string; name: string }>> {
      const servers = await compute.listServers();
      return servers.filter((s) => s.projectId === input.project).map((s) => ({ id: s.id, name: s.name }));
    },

    /** The version exists on this host, is valid and belongs to this disk; reads the disk's state. Changes nothing. */
    async checkRestore(
      input: ImageRef & { vmId: string; versionUid: string; aside: string; host: string; versionOf?: string | undefined; manageServer?: boolean | undefined },
    ): Promise<VersionCheck> {
      if (input.host !== host.name) {
        throw ApplicationFailure.create({ type: 'InvalidInputError', nonRetryable: true, message: `a restore from ${input.host}'s store reached ${host.name}'s worker` });
      }
      const version = (await engine.listVersions()).find((v) => v.uid === input.versionUid);
      if (!version) {
        throw ApplicationFailure.create({ type: 'UnknownVersionError', nonRetryable: true, message: `no version ${input.versionUid} on ${host.name}; see \`vmbackup ls ${input.vmId}\`` });
      }
      const expected = input.versionOf ?? input.image;
      if (version.name !== expected) {
        throw ApplicationFailure.create({
          type: 'InvalidInputError',
          nonRetryable: true,
          message: `version ${input.versionUid} is a backup of ${version.name}, not of ${expected}; nothing was changed`,
        });
      }
      if (!version.valid) {
        throw ApplicationFailure.create({ type: 'InvalidInputError', nonRetryable: true, message: `version ${input.versionUid} is not valid (a failed or running backup); pick another` });
      }
      const server = input.manageServer ? await compute.show(input.vmId) : undefined;
      return {
        versionDate: version.date,
        snapshotName: version.snapshotName,
        sizeBytes: version.sizeBytes,
        imageExists: await exists(input.pool, input.image),
        serverRunning: input.manageServer ? (server?.status ?? 'SHUTOFF') !== 'SHUTOFF' : false,
        server: server ? { name: server.name, projectId: server.projectId } : undefined,
      };
    },

    async stopServer(input: { vmId: string; waitSeconds: number }): Promise<{ wasRunning: boolean }> {
      // Each `openstack` call may take up to its own timeout: heartbeat through them too.
      const before = await withHeartbeat({ step: 'stop' }, async () => {
        const shown = await compute.show(input.vmId);
        if (shown && shown.status !== 'SHUTOFF') await compute.stop(input.vmId);
        return shown;
      });
      if (!before) return { wasRunning: false };
      await waitForServer(input.vmId, 'SHUTOFF', input.waitSeconds);
      await holdPoint('restore.after-stop', input.vmId);
      return { wasRunning: before.status !== 'SHUTOFF' };
    },

    async startServer(input: { vmId: string; waitSeconds: number }): Promise<void> {
      await holdPoint('restore.before-start', input.vmId);
      const found = await withHeartbeat({ step: 'start' }, async () => {
        if (!(await compute.show(input.vmId))) return false;
        await compute.start(input.vmId);
        return true;
      });
      if (found) await waitForServer(input.vmId, 'ACTIVE', input.waitSeconds);
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

    /**
     * Renames the current image aside (never deletes it) and records on it which
     * restore did so (purge-aside and `vmbackup aside` read it); done already when
     * only the aside name exists.
     */
    async moveAside(input: ImageRef & { aside: string; restoreId: string }): Promise<void> {
      try {
        await rbd.rename(input.pool, input.image, input.aside);
      } catch (err) {
        // Gone from its name but there under the aside name: an earlier attempt did it.
        if (!isNotFound(err) || !(await exists(input.pool, input.aside))) throw err;
      }
      await rbd.setImageMeta(input.pool, input.aside, ASIDE_META.restore, input.restoreId);
      await holdPoint('restore.after-move-aside', input.image);
    },

    /** Undo of moveAside: puts the original back under its name, without the restore's marks. Idempotent. */
    async moveBack(input: ImageRef & { aside: string }): Promise<void> {
      if (await exists(input.pool, input.aside)) {
        if (await exists(input.pool, input.image)) throw new Error(`${input.pool}/${input.image} exists; remove the half-restored image first`);
        await rbd.rename(input.pool, input.aside, input.image);
      } else if (!(await exists(input.pool, input.image))) {
        return;
      }
      for (const key of Object.values(ASIDE_META)) await rbd.removeImageMeta(input.pool, input.image, key);
    },

    /** The restore is complete: from now on purge-aside may remove the original once keep_aside_days have passed. */
    async markRestoreCompleted(input: ImageRef & { aside: string }): Promise<void> {
      await rbd.setImageMeta(input.pool, input.aside, ASIDE_META.completed, new Date().toISOString());
    },

    /** Undo of restoreVersion: removes a (half-)restored image. Only ever called while the original is safe under its aside name. */
    async removeRestored(input: ImageRef & { aside: string }): Promise<void> {
      await reapOrphan(pidFileFor(input), (m) => log.warn(m));
      if (!(await exists(input.pool, input.aside))) throw new Error(`refusing to remove ${input.pool}/${input.image}: the original is not under ${input.aside}`);
      try {
        await removeHeartbeating(input, true);
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
      await holdPoint('restore.before-restore', input.image);
      const pidFile = pidFileFor(input);
      await reapOrphan(pidFile, (m) => log.warn(m));
      if (await exists(input.pool, input.image)) {
        if (!(await exists(input.pool, input.aside))) throw new Error(`${input.pool}/${input.image} exists and was not moved aside; not overwriting it`);
        log.warn(`removing ${input.pool}/${input.image} left by an earlier attempt`);
        await removeHeartbeating(input);
      }
      const bytesTotal = input.sizeBytes;
      await withHeartbeat({ step: 'restore', percent: 0, bytesDone: 0, bytesTotal }, (report) =>
        engine.restore(
          input.versionUid,
          { kind: 'rbd', pool: input.pool, image: input.image },
          {
            pidFile,
            cancelSignal: Context.current().cancellationSignal,
            onProgress: ({ percent }) => {
              holdCopy('restore.during-copy', input.image, pidFile);
              report({ step: 'restore', percent, bytesDone: Math.round((bytesTotal * percent) / 100), bytesTotal });
            },
          },
        ),
      );
      await holdPoint('restore.after-restore', input.image);
    },
  };
}

export type RestoreActivities = ReturnType<typeof createRestoreActivities>;
