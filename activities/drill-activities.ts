// The host's side of restoreDrill: pick a sample of versions, restore one into
// a scratch image and check it, remove the scratch image. The disk the version
// came from is never opened: the drill reads the store and writes only the
// scratch image, whose name cannot be a disk's (lib/verify/scratch.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Context, log } from '@temporalio/activity';
import type { Config } from '../lib/config/schema.ts';
import type { FailedCheck } from '../lib/operations/verify.ts';
import { checkScratchPool, isScratchImage } from '../lib/verify/scratch.ts';
import { pruneRecord } from '../lib/verify/share.ts';
import { isNotFound } from './ceph/rbd.ts';
import { Backy2BlockStore } from './engine/backy2-blocks.ts';
import { backy2BlockSize } from './engine/backy2-hints.ts';
import { reapOrphan } from './exec/orphans.ts';
import { withHeartbeat } from './heartbeat.ts';
import { holdPoint } from './test-hooks.ts';
import type { HostDeps } from './host-deps.ts';
import { checkStoredVersion } from './verify/check-version.ts';
import { compareImageWithBlocks } from './verify/compare-image.ts';
import { drillRecordFile, readRecord, writeRecord } from './verify/records.ts';
import { newestPerImage, validVersions } from './verify-activities.ts';

export interface DrillTarget {
  image: string;
  uid: string;
  sizeBytes: number;
}

export interface ScratchRef {
  pool: string;
  /** Always a `vmbackup-drill-…` name. */
  image: string;
}

export interface DrillOutcome {
  bytes: number;
  failure?: FailedCheck | undefined;
}

export function createDrillActivities(deps: HostDeps, extra: { config: Pick<Config, 'workloads'> }) {
  const { engine, rbd } = deps;
  const dir = deps.paths.verify;
  // One per call: its memory of judged blobs must not outlive it.
  const blockStore = () => new Backy2BlockStore(deps.host.backy2_config);
  const pidFileOf = (scratch: ScratchRef) => join(deps.paths.run, `drill-${scratch.image}.pid`);

  const removeScratchImage = async (scratch: ScratchRef) => {
    // Never anything but a scratch image, whatever a caller passes.
    if (!isScratchImage(scratch.image)) throw new Error(`refusing to remove ${scratch.pool}/${scratch.image}: not a scratch image of a drill`);
    await reapOrphan(pidFileOf(scratch), (m) => log.warn(m));
    try {
      await withHeartbeat({ step: 'remove scratch' }, () => rbd.removeImage(scratch.pool, scratch.image));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };

  return {
    /** Up to `sample` disks, least recently drilled first, one valid version each (any of them: older ones restore too). */
    async planDrill(input: { sample: number; images?: string[] | undefined }): Promise<DrillTarget[]> {
      const all = await engine.listVersions();
      const valid = validVersions(all, input.images);
      // Disks with no version left leave the record, so it never outgrows the store.
      const record = pruneRecord(readRecord<Record<string, string>>(drillRecordFile(dir), {}), new Set(all.map((v) => v.name)));
      writeRecord(drillRecordFile(dir), record);
      return newestPerImage(valid, record)
        .slice(0, input.sample)
        .map((newest) => {
          const ofImage = valid.filter((v) => v.name === newest.name);
          const v = ofImage[Math.floor(Math.random() * ofImage.length)]!;
          return { image: v.name, uid: v.uid, sizeBytes: v.sizeBytes };
        });
    },

    /**
     * The version's stored blocks are checked first (twice before anything is
     * marked, like the scrub); a sound version is restored into the scratch image
     * and the image compared block by block with the version's checksums.
     */
    async drillVersion(input: DrillTarget & { scratch: ScratchRef }): Promise<DrillOutcome> {
      checkScratchPool(input.scratch.pool, extra.config.workloads.images?.pool);
      const s = blockStore();
      const cancelSignal = Context.current().cancellationSignal;
      const version = { uid: input.uid, name: input.image };
      writeRecord(drillRecordFile(dir), { ...readRecord<Record<string, string>>(drillRecordFile(dir), {}), [input.image]: new Date().toISOString() });
      const stored = await withHeartbeat({ step: 'check store' }, () => checkStoredVersion({ store: s, engine, verifyDir: dir, cancelSignal }, version));
      // A bad stored block would be restored as it is (and backy2 would mark it on that one read): report it instead.
      if (stored.failure) return stored;

      // An attempt that died mid-restore left its scratch image: start clean (backy2 never writes into an existing image).
      await removeScratchImage(input.scratch);
      const pidFile = pidFileOf(input.scratch);
      await withHeartbeat({ step: 'restore', percent: 0, bytesTotal: input.sizeBytes }, (report) =>
        engine.restore(input.uid, { kind: 'rbd', ...input.scratch }, { pidFile, cancelSignal, onProgress: ({ percent }) => report({ step: 'restore', percent, bytesTotal: input.sizeBytes }) }),
      );
      await holdPoint('drill.after-restore', input.uid);
      const blocks = await s.blocks(input.uid);
      const opts = { blockSize: backy2BlockSize(readFileSync(deps.host.backy2_config, 'utf8')), hash: s.hash, cancelSignal };
      const first = await withHeartbeat({ step: 'compare' }, () => compareImageWithBlocks(rbd, input.scratch, blocks, opts));
      if (first.differing.length === 0) return { bytes: first.bytes };
      const second = await withHeartbeat({ step: 'compare (second read)' }, () => compareImageWithBlocks(rbd, input.scratch, blocks, opts));
      const agreed = first.differing.filter((id) => second.differing.includes(id));
      const reason =
        agreed.length === 0
          ? `the restored image differed at blocks ${first.differing.slice(0, 3).join(', ')} once; the second read matched`
          : `the restored image differs from the version's checksums at blocks ${agreed.slice(0, 3).join(', ')}${agreed.length > 3 ? ` and ${agreed.length - 3} more` : ''} (read twice)`;
      return { bytes: first.bytes, failure: { image: input.image, uid: input.uid, state: agreed.length === 0 ? 'transient' : 'restore-failed', reason, alsoInvalid: [], alsoInvalidCount: 0 } };
    },

    /** Idempotent; only ever a scratch image. */
    async removeScratch(scratch: ScratchRef): Promise<void> {
      await removeScratchImage(scratch);
    },
  };
}

export type DrillActivities = ReturnType<typeof createDrillActivities>;
