// One version's stored blocks checked the careful way, shared by the scrub and
// the restore drill: a read-only pass over its blobs; blocks found bad are read
// a second time; only when both reads agree is `backy2 scrub` run, which reads
// them a third time and makes it official (it marks the bad block, and so every
// version sharing it, invalid). Each disk whose versions went invalid is
// marked for a full backup next (needs-full.ts).
import { SUMMARY_LIST_MAX } from '../../lib/operations/nightly.ts';
import type { FailedCheck } from '../../lib/operations/verify.ts';
import type { Backy2BlockStore } from '../engine/backy2-blocks.ts';
import { describeBadBlocks } from '../engine/backy2-blocks.ts';
import type { BackupEngine } from '../engine/engine.ts';
import { holdPoint } from '../test-hooks.ts';
import { markNeedsFull } from './needs-full.ts';

export interface CheckDeps {
  store: Backy2BlockStore;
  engine: BackupEngine;
  /** The host's verify folder (needs-full marks). */
  verifyDir: string;
  cancelSignal?: AbortSignal;
  onProgress?: (blocksDone: number, blocksTotal: number) => void;
}

export interface VersionVerdict {
  bytes: number;
  /** Undefined when every stored block is sound. */
  failure?: FailedCheck;
}

export async function checkStoredVersion(deps: CheckDeps, version: { uid: string; name: string }): Promise<VersionVerdict> {
  const blocks = await deps.store.blocks(version.uid);
  const stored = blocks.filter((b) => b.uid !== null).length;
  const first = await deps.store.check(blocks, (done) => deps.onProgress?.(done, stored), deps.cancelSignal);
  if (first.bad.length === 0) return { bytes: first.bytesRead };
  await holdPoint('verify.before-second-read', version.uid);
  const agreed = await deps.store.recheck(blocks, first.bad);
  const failure = (state: FailedCheck['state'], reason: string, alsoInvalid: string[] = []): VersionVerdict => ({
    bytes: first.bytesRead,
    failure: { image: version.name, uid: version.uid, state, reason, alsoInvalid: alsoInvalid.slice(0, SUMMARY_LIST_MAX), alsoInvalidCount: alsoInvalid.length },
  });
  if (agreed.length === 0) return failure('transient', `first read: ${describeBadBlocks(first.bad)}; the second read found them sound (not marked)`);
  return confirmBad(deps, version, `${describeBadBlocks(agreed)} (read twice)`, failure);
}

/** Lets backy2 make a twice-read failure official, and records what it marked. */
export async function confirmBad(
  deps: CheckDeps,
  version: { uid: string; name: string },
  reason: string,
  failure: (state: FailedCheck['state'], reason: string, alsoInvalid?: string[]) => VersionVerdict,
): Promise<VersionVerdict> {
  const before = await deps.engine.listVersions();
  const sound = await deps.engine.scrub(version.uid, { cancelSignal: deps.cancelSignal });
  if (sound) return failure('transient', `${reason}, but backy2's own scrub then read it sound (not marked)`);
  const nowInvalid = new Set((await deps.engine.listVersions()).filter((v) => !v.valid).map((v) => v.uid));
  const wentInvalid = before.filter((v) => v.valid && nowInvalid.has(v.uid));
  const markedAt = new Date().toISOString();
  for (const image of new Set([version.name, ...wentInvalid.map((v) => v.name)])) {
    markNeedsFull(deps.verifyDir, image, { uid: version.uid, reason, markedAt });
  }
  return failure('marked-invalid', reason, wentInvalid.map((v) => v.uid).filter((u) => u !== version.uid));
}
