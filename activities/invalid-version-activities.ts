// Invalid versions of this host's store: found, and removed on request,
// except protected ones and those of a disk whose backup runs right now.
import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { type InvalidVersion, invalidVersionsOf } from '../lib/operations/remove-invalids.ts';
import type { HostDeps } from './host-deps.ts';
import { runningBackups } from './running-backups.ts';

export function createInvalidVersionActivities(deps: HostDeps, visibility: { temporal: Client }) {
  const { engine, host } = deps;
  return {
    /** Changes nothing. */
    async findInvalidVersions(): Promise<InvalidVersion[]> {
      // Running backups are read after the versions: one that starts later makes a version not listed here.
      const versions = await engine.listVersions();
      return invalidVersionsOf(versions, await runningBackups(visibility.temporal, host.name), new Date());
    },

    /** Removes the given versions if they are still invalid; one already gone counts as removed. */
    async removeInvalidVersions(input: { versions: InvalidVersion[] }): Promise<{ removed: string[] }> {
      const now = new Map((await engine.listVersions()).map((v) => [v.uid, v]));
      const removed: string[] = [];
      for (const v of input.versions) {
        const current = now.get(v.uid);
        if (!current) {
          removed.push(v.uid); // a retry after it went
          continue;
        }
        // Checked again because this one deletes: only a version still invalid and unprotected goes.
        if (v.state !== 'invalid' || current.valid || current.protected) continue;
        log.info(`removing invalid version ${v.uid} of ${v.name} (${v.snapshotName})`);
        await engine.remove(v.uid);
        removed.push(v.uid);
      }
      return { removed };
    },
  };
}

export type InvalidVersionActivities = ReturnType<typeof createInvalidVersionActivities>;
