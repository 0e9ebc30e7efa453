// The backup engine behind one small interface: backy2 today, another engine
// (Benji, a newer backy2) may follow without touching workflows or activities.
import type { VersionStat } from '../../lib/forecast/disk-work.ts';
import type { StoreCleanup } from '../../lib/operations/purge.ts';

export interface EngineVersion {
  uid: string;
  /** Version name; for VM disks the RBD image name `<vm-id>_disk`. */
  name: string;
  snapshotName: string;
  /** ISO 8601, UTC. */
  date: string;
  sizeBytes: number;
  valid: boolean;
  protected: boolean;
  tags: string[];
}

export interface EngineStats {
  sizeBytes: number;
  bytesRead: number;
  bytesWritten: number;
  bytesDedup: number;
  bytesSparse: number;
  durationSeconds: number;
}

export interface EngineProgress {
  percent: number;
  blocksDone?: number;
  blocksTotal?: number;
}

export interface RbdSource {
  pool: string;
  image: string;
  snapshot: string;
}

export type RestoreTarget = { kind: 'rbd'; pool: string; image: string } | { kind: 'file'; path: string };

export interface RunControl {
  onProgress?: (progress: EngineProgress) => void;
  cancelSignal?: AbortSignal | undefined;
  /** The engine's process pid is kept here while it runs (see activities/exec/orphans.ts). */
  pidFile?: string;
}

export interface BackupRequest {
  name: string;
  source: RbdSource;
  /** rbd diff JSON of the extents to read; without it the whole disk is read. */
  hintsFile?: string | undefined;
  /** Valid earlier version whose unchanged blocks the new one shares. */
  baseUid?: string | undefined;
  /** The source's size, when known: lets the engine judge whether it can use the hints. */
  sizeBytes?: number | undefined;
  tags: string[];
}

export interface BackupEngine {
  /** Versions, oldest first; of one name when given. */
  listVersions(name?: string): Promise<EngineVersion[]>;
  /** Makes a version and returns its uid. */
  backup(request: BackupRequest, control?: RunControl): Promise<string>;
  stats(uid: string): Promise<EngineStats | undefined>;
  /** Every version's stats recorded since `since` (ISO 8601), versions removed since included: what `vmbackup plan` fits. */
  statsSince(since: string): Promise<VersionStat[]>;
  /** Removes a version even when the engine's own age guard would refuse. */
  remove(uid: string): Promise<void>;
  restore(uid: string, target: RestoreTarget, control?: RunControl): Promise<void>;
  /**
   * The engine's own check of a version's stored blocks: false when it found a
   * bad one, which it has then marked invalid, with every version sharing it.
   */
  scrub(uid: string, control?: RunControl): Promise<boolean>;
  /** Deletes stored data that no version refers to any more (removing a version only forgets it). */
  cleanup(): Promise<StoreCleanup>;
}
