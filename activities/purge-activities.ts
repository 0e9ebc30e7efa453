// Purge of expired versions from this host's backup store. The plan is made
// here, next to the store, because a store of thousands of disks lists more
// versions than a workflow history should carry; only the verdicts travel.
import { log } from '@temporalio/activity';
import type { PurgePlan, StoreCleanup } from '../lib/operations/purge.ts';
import { listByDisk } from '../lib/purge-listing.ts';
import { decidePurge, type KeepReason, type PurgePolicy, summarizeKept } from '../lib/purge-policy.ts';
import { withHeartbeat } from './heartbeat.ts';
import type { HostDeps } from './host-deps.ts';
import type { DiskLocks } from './lock-activities.ts';
import { holdPoint } from './test-hooks.ts';

/** Removals one run plans at most; a longer backlog is worked off over the next nights. */
export const MAX_REMOVALS_PER_RUN = 5000;

export interface RemoveVersionsResult {
  /** Removed now, or already gone (a retry after the work was done). */
  removed: string[];
  /** Left in place after all, and why: protected since the plan was made, or its disk's last valid version. */
  skipped: Array<{ uid: string; reason: KeepReason }>;
}

export function createPurgeActivities(deps: HostDeps, locks: DiskLocks) {
  const { engine } = deps;
  const current = async () => new Map((await engine.listVersions()).map((v) => [v.uid, v]));
  return {
    /** Changes nothing. With `listing` (a dry run), also every version per disk and what keeps it, bounded. */
    async planPurge(policy: Omit<PurgePolicy, 'maxRemovals'>, listing?: { disks?: string[] | undefined }): Promise<PurgePlan> {
      const versions = await engine.listVersions();
      const decision = decidePurge(versions, { ...policy, maxRemovals: MAX_REMOVALS_PER_RUN });
      const plan: PurgePlan = { versions: versions.length, remove: decision.remove, kept: summarizeKept(decision.keep) };
      if (listing) plan.listing = listByDisk(decision, listing.disks);
      return plan;
    },

    /**
     * Removes the given versions, one backy2 write at a time (the engine queues
     * them behind any backup of this store). Idempotent: a version already gone
     * counts as removed, so a retry after a crash picks up where it stopped.
     * A disk's last valid version stays whatever the plan said (a scrub or a
     * removal since may have made it the last), unless `lastValidMayGo` names the disk.
     */
    async removeVersions(input: { uids: string[]; lastValidMayGo?: string[] }): Promise<RemoveVersionsResult> {
      const result: RemoveVersionsResult = { removed: [], skipped: [] };
      const mayGo = new Set(input.lastValidMayGo ?? []);
      await holdPoint('purge.before-remove', deps.host.name);
      let now = await current();
      // A disk another operation holds (a restore reading one of these versions) keeps
      // its versions this time; the lock is read from Temporal itself, so it is current.
      const busy = new Map<string, string | undefined>();
      for (const name of new Set(input.uids.map((uid) => now.get(uid)?.name).filter((n) => n !== undefined))) busy.set(name, await locks.holderOf(name));
      const validLeft = new Map<string, number>();
      for (const v of now.values()) if (v.valid) validLeft.set(v.name, (validLeft.get(v.name) ?? 0) + 1);
      await withHeartbeat({ step: 'remove', percent: 0 }, async (report) => {
        for (const [i, uid] of input.uids.entries()) {
          const version = now.get(uid);
          // Protection is checked again: an operator may have protected it since the plan.
          if (version?.protected) result.skipped.push({ uid, reason: 'protected' });
          else if (version && busy.get(version.name)) {
            log.info(`keeping version ${uid} of ${version.name}: ${busy.get(version.name)} holds the disk`);
            result.skipped.push({ uid, reason: 'busy' });
          }
          else if (version?.valid && validLeft.get(version.name) === 1 && !mayGo.has(version.name)) result.skipped.push({ uid, reason: 'newest-valid' });
          else if (version) {
            log.info(`removing version ${uid} of ${version.name} (${version.date})`);
            try {
              await engine.remove(uid);
            } catch (err) {
              // Gone meanwhile (another purge of the same store) is done; anything else is a failure.
              now = await current();
              if (now.has(uid)) throw err;
            }
            if (version.valid) validLeft.set(version.name, validLeft.get(version.name)! - 1);
            result.removed.push(uid);
          } else result.removed.push(uid);
          report({ step: 'remove', percent: Math.round(((i + 1) / input.uids.length) * 100) });
        }
      });
      return result;
    },

    async cleanupStore(): Promise<StoreCleanup> {
      await holdPoint('purge.before-cleanup', deps.host.name);
      return withHeartbeat({ step: 'cleanup' }, () => engine.cleanup());
    },
  };
}

export type PurgeActivities = ReturnType<typeof createPurgeActivities>;
