// The host's side of verifyBackups: plan a run (the rolling share of versions
// to scrub and the disks for a deep check), scrub a page of the plan, compare
// a disk's newest version with its snapshot. The plan stays in a file on the
// host; only counts and bounded lists travel into the workflow's history.
import { readFileSync } from 'node:fs';
import { Context, log } from '@temporalio/activity';
import type { Config } from '../lib/config/schema.ts';
import { diskIdFromImage, type Workload } from '../lib/naming.ts';
import { type FailedCheck, invalidated } from '../lib/operations/verify.ts';
import { pickScrubShare, pruneRecord, type ScrubRecord } from '../lib/verify/share.ts';
import { Backy2BlockStore } from './engine/backy2-blocks.ts';
import { backy2BlockSize } from './engine/backy2-hints.ts';
import type { EngineVersion } from './engine/engine.ts';
import { withHeartbeat } from './heartbeat.ts';
import type { HostDeps } from './host-deps.ts';
import { checkStoredVersion, type VersionVerdict } from './verify/check-version.ts';
import { compareImageWithBlocks } from './verify/compare-image.ts';
import { markNeedsFull } from './verify/needs-full.ts';
import { deepRecordFile, planFile, readRecord, removeRecord, scrubRecordFile, writeRecord } from './verify/records.ts';

export interface DeepTarget {
  image: string;
  pool: string;
  uid: string;
  snapshot: string;
}

export interface VerifyPlanHead {
  /** Valid versions in scope. */
  versions: number;
  /** Versions this run scrubs (its share). */
  planned: number;
  deep: DeepTarget[];
  /** Disks of the deep sample whose newest version's snapshot is gone. */
  deepSkipped: number;
}

export interface BatchResult {
  checked: number;
  ok: number;
  bytes: number;
  /** Every failure of the batch (a batch is at most 500 versions). */
  failed: FailedCheck[];
  markedInvalid: number;
}

interface PlanEntry {
  uid: string;
  name: string;
}

/** The pool an image of a backed-up disk lives in, by its name; undefined when no workload names it. */
export function poolOfImage(workloads: Config['workloads'], image: string): string | undefined {
  for (const w of ['vms', 'volumes', 'images'] as const satisfies Workload[]) {
    const wl = workloads[w];
    if (wl && diskIdFromImage(w, image) !== undefined) return wl.pool;
  }
  return undefined;
}

/** Valid versions, of the given images only when asked. */
export function validVersions(all: EngineVersion[], images?: string[]): EngineVersion[] {
  const only = images ? new Set(images) : undefined;
  return all.filter((v) => v.valid && (!only || only.has(v.name)));
}

/** Each image's newest valid version, the images least recently picked first. */
export function newestPerImage(versions: EngineVersion[], picked: Record<string, string>): EngineVersion[] {
  const newest = new Map<string, EngineVersion>();
  for (const v of versions) if ((newest.get(v.name)?.date ?? '') <= v.date) newest.set(v.name, v);
  return [...newest.values()].sort((a, b) => (picked[a.name] ?? '').localeCompare(picked[b.name] ?? '') || a.name.localeCompare(b.name));
}

export function createVerifyActivities(deps: HostDeps, extra: { config: Pick<Config, 'workloads'> }) {
  const { engine, rbd } = deps;
  const dir = deps.paths.verify;
  // A new one per activity call: its memory of judged blobs must never outlive the call, or a blob judged sound once would not be read again.
  const blockStore = () => new Backy2BlockStore(deps.host.backy2_config);
  const verdictDeps = (store: Backy2BlockStore) => ({ store, engine, verifyDir: dir, cancelSignal: Context.current().cancellationSignal });

  return {
    /** The run's share of versions (to a plan file) and its deep sample. Reads only; replaces the plan whole on a retry. */
    async planVerify(input: { run: string; scrubEveryNights: number; deepSample: number; images?: string[] | undefined }): Promise<VerifyPlanHead> {
      blockStore(); // a store verify cannot read fails the run here, before anything is planned
      const all = await engine.listVersions();
      const valid = validVersions(all, input.images);
      const record = pruneRecord(readRecord<ScrubRecord>(scrubRecordFile(dir), {}), new Set(all.map((v) => v.uid)));
      writeRecord(scrubRecordFile(dir), record); // removed versions leave the record, so it never outgrows the store
      const share = pickScrubShare(valid, record, input.scrubEveryNights);
      writeRecord(planFile(dir, input.run), share.map((v): PlanEntry => ({ uid: v.uid, name: v.name })));

      const deepRecord = pruneRecord(readRecord<Record<string, string>>(deepRecordFile(dir), {}), new Set(all.map((v) => v.name)));
      writeRecord(deepRecordFile(dir), deepRecord);
      const deep: DeepTarget[] = [];
      let deepSkipped = 0;
      for (const v of newestPerImage(valid, deepRecord)) {
        if (deep.length >= input.deepSample) break;
        const pool = poolOfImage(extra.config.workloads, v.name);
        const snapshots = pool ? await rbd.listSnapshots(pool, v.name).catch(() => []) : [];
        if (pool && v.snapshotName && snapshots.some((s) => s.name === v.snapshotName)) deep.push({ image: v.name, pool, uid: v.uid, snapshot: v.snapshotName });
        else deepSkipped += 1;
      }
      log.info('verify plan', { versions: valid.length, planned: share.length, deep: deep.length, deepSkipped });
      return { versions: valid.length, planned: share.length, deep, deepSkipped };
    },

    /** Scrubs versions [offset, offset+limit) of the plan. Idempotent: a retry checks them again. */
    async verifyBatch(input: { run: string; offset: number; limit: number }): Promise<BatchResult> {
      const entries = readRecord<PlanEntry[]>(planFile(dir, input.run), []).slice(input.offset, input.offset + input.limit);
      const result: BatchResult = { checked: 0, ok: 0, bytes: 0, failed: [], markedInvalid: 0 };
      // A version an earlier confirmation in this run already marked (it shared the bad block) is not read again.
      const validNow = async () => new Set((await engine.listVersions()).filter((v) => v.valid).map((v) => v.uid));
      let stillValid = await validNow();
      const scrubbed: Record<string, string> = {};
      const store = blockStore();
      await withHeartbeat({ step: 'scrub', percent: 0 }, async (report) => {
        for (const [i, entry] of entries.entries()) {
          if (!stillValid.has(entry.uid)) continue;
          const verdict = await checkStoredVersion(
            { ...verdictDeps(store), onProgress: (done, total) => report({ step: `scrub ${entry.uid}`, percent: Math.round(((i + done / Math.max(1, total)) / entries.length) * 100) }) },
            entry,
          );
          result.checked += 1;
          result.bytes += verdict.bytes;
          if (!verdict.failure) {
            result.ok += 1;
            scrubbed[entry.uid] = new Date().toISOString();
            continue;
          }
          result.failed.push(verdict.failure);
          if (verdict.failure.state === 'marked-invalid') {
            result.markedInvalid += invalidated(verdict.failure);
            stillValid = await validNow();
          }
        }
      });
      writeRecord(scrubRecordFile(dir), { ...readRecord<ScrubRecord>(scrubRecordFile(dir), {}), ...scrubbed });
      return result;
    },

    /**
     * A disk's newest version compared block by block with the snapshot it was
     * made from; blocks that differ are read again from both sides before
     * anything is concluded.
     */
    async deepCheck(target: DeepTarget): Promise<VersionVerdict> {
      const s = blockStore();
      // Both halves of "stored equals source": the stored blobs against their checksums, then the snapshot against them.
      const stored = await withHeartbeat({ step: 'deep check (store)' }, () => checkStoredVersion(verdictDeps(s), { uid: target.uid, name: target.image }));
      if (stored.failure) return stored;
      const blocks = await s.blocks(target.uid);
      const blockSize = backy2BlockSize(readFileSync(deps.host.backy2_config, 'utf8'));
      const opts = { blockSize, hash: s.hash, cancelSignal: Context.current().cancellationSignal };
      const source = { pool: target.pool, image: target.image, snapshot: target.snapshot };
      const first = await withHeartbeat({ step: 'deep check', bytesDone: 0 }, (report) =>
        compareImageWithBlocks(rbd, source, blocks, { ...opts, onProgress: (bytes) => report({ step: 'deep check', bytesDone: bytes }) }),
      );
      writeRecord(deepRecordFile(dir), { ...readRecord<Record<string, string>>(deepRecordFile(dir), {}), [target.image]: new Date().toISOString() });
      if (first.differing.length === 0) return { bytes: first.bytes + stored.bytes };
      const second = await withHeartbeat({ step: 'deep check (second read)' }, () => compareImageWithBlocks(rbd, source, blocks, opts));
      const agreed = first.differing.filter((id) => second.differing.includes(id));
      const failure = (state: FailedCheck['state'], reason: string, alsoInvalid: string[] = []): VersionVerdict => ({
        bytes: first.bytes,
        failure: { image: target.image, uid: target.uid, state, reason, alsoInvalid, alsoInvalidCount: alsoInvalid.length },
      });
      const shown = `${agreed.slice(0, 3).join(', ')}${agreed.length > 3 ? ` and ${agreed.length - 3} more` : ''}`;
      if (agreed.length === 0) return failure('transient', `blocks ${first.differing.slice(0, 3).join(', ')} differed from ${target.snapshot} once; the second read agreed with the snapshot (not marked)`);
      // Sound in the store but not what the snapshot holds: the backup was made wrong (an `rbd diff` bug).
      // backy2 2.9 has no command to mark a version invalid; the disk's next backup reads it whole.
      markNeedsFull(dir, target.image, { uid: target.uid, reason: `differs from ${target.snapshot}`, markedAt: new Date().toISOString() });
      return failure('differs-from-source', `blocks ${shown} differ from snapshot ${target.snapshot} (read twice); the stored blocks match their checksums, so the backup was made wrong; next backup of ${target.image} is full`);
    },

    /** Best effort: a plan file left behind is replaced by the next run with that key, or stays small. */
    async forgetVerifyPlan(input: { run: string }): Promise<void> {
      removeRecord(planFile(dir, input.run));
    },
  };
}

export type VerifyActivities = ReturnType<typeof createVerifyActivities>;
