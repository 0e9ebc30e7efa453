// Read-only look-ups of a host's backup store, for `vmbackup ls` and restores.
import { pickVersion } from '../lib/operations/restore-project.ts';
import type { EngineVersion } from './engine/engine.ts';
import type { HostDeps } from './host-deps.ts';

export function createVersionActivities(deps: HostDeps) {
  return {
    /**
     * The versions of one disk (`name`), the one version `uid`, or every version.
     * Filtered here, on the host: a workflow result carries one disk's versions,
     * never a whole store's (Temporal refuses payloads over 2 MB).
     */
    async listVersions(input: { name?: string | undefined; uid?: string | undefined }): Promise<EngineVersion[]> {
      if (input.uid === undefined) return deps.engine.listVersions(input.name);
      return (await deps.engine.listVersions(input.name)).filter((v) => v.uid === input.uid);
    },

    /**
     * For each disk named, its newest valid version at or before `at` in this
     * store: a mass restore's choice, made where the versions are, so the
     * result holds one version per disk whatever the store's size.
     */
    async pickVersions(input: { names: string[]; at?: string | undefined }): Promise<EngineVersion[]> {
      const wanted = new Set(input.names);
      const byName = new Map<string, EngineVersion[]>();
      for (const v of await deps.engine.listVersions()) if (wanted.has(v.name)) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
      return [...byName.values()].map((versions) => pickVersion(versions, input.at)).filter((v) => v !== undefined);
    },
  };
}
export type VersionActivities = ReturnType<typeof createVersionActivities>;
