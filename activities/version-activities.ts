// Read-only look-ups of a host's backup store, for `vmbackup ls`.
import type { EngineVersion } from './engine/engine.ts';
import type { HostDeps } from './host-deps.ts';

export function createVersionActivities(deps: HostDeps) {
  return {
    async listVersions(input: { name?: string | undefined }): Promise<EngineVersion[]> {
      return deps.engine.listVersions(input.name);
    },
  };
}
