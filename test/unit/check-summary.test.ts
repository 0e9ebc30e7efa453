// How `schedule trigger --wait` shows a verify or drill run: counts, then each
// failed version with its disk, uid, state and reason, and the workflow id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFailed, renderCheckSummary } from '../../cli/output/check-summary.ts';
import type { DrillSummary, VerifySummary } from '../../lib/operations/verify.ts';

const counts = { checked: 3, ok: 2, failed: 1, markedInvalid: 2 };
const failure = { image: 'vm1_disk', uid: '5e02ce2c-ee95-11f1-8c6e-02fc00000001', state: 'marked-invalid' as const, reason: 'block 1: checksum mismatch (read twice)', alsoInvalid: ['x'], alsoInvalidCount: 1 };

test('a verify summary names what was checked and every failed version', () => {
  const s: VerifySummary = {
    host: 'backup1',
    workflowId: 'verify/backup1',
    versions: 21,
    planned: 3,
    scrub: counts,
    bytes: 3 * 1024 ** 3,
    deep: { checked: 1, ok: 1, failed: 0, markedInvalid: 0, skipped: 1, bytes: 1024 ** 3 },
    failed: [failure],
    startedAt: '2026-12-02T01:30:00Z',
    durationSeconds: 65,
    runs: 1,
  };
  const text = renderCheckSummary(s, 'verify/backup1');
  assert.match(text, /scrubbed\s+3 of 3 planned \(21 valid versions in scope\): 2 sound, 1 failed/);
  assert.match(text, /deep check\s+newest version of 1 disk against its snapshot: 1 sound, 0 failed; 1 disk without a snapshot/);
  assert.match(text, /vm1_disk\s+5e02ce2c-ee95-11f1-8c6e-02fc00000001\s+marked-invalid\s+block 1: checksum mismatch \(read twice\) \(also invalid: 1 versions sharing the block\)/);
  assert.ok(checkFailed(s));
});

test('a drill summary lists each drilled version; a clean one is not a failure', () => {
  const s: DrillSummary = {
    host: 'backup1',
    workflowId: 'drill/backup1',
    scratchPool: 'rbd',
    counts: { checked: 1, ok: 1, failed: 0, markedInvalid: 0 },
    bytes: 1024 ** 2,
    drilled: [{ image: 'vm1_disk', uid: failure.uid, scratch: 'rbd/vmbackup-drill-backup1-x', ok: true, bytes: 1024 ** 2 }],
    failed: [],
    startedAt: '2026-12-06T06:00:00Z',
    durationSeconds: 5,
  };
  const text = renderCheckSummary(s, 'drill/backup1');
  assert.match(text, /drilled\s+1 versions restored to scratch images in pool rbd: 1 sound, 0 failed/);
  assert.match(text, /vm1_disk\s+5e02ce2c-ee95-11f1-8c6e-02fc00000001\s+sound/);
  assert.equal(checkFailed(s), false);
});
