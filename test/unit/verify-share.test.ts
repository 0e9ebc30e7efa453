// The rolling share of verifyBackups: each run scrubs the ceil(1/N) of the
// versions scrubbed least recently, so N runs cover every version, new ones
// and old ones alike; the record never outgrows the store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickScrubShare, pruneRecord, shareSize } from '../../lib/verify/share.ts';

const versions = (n: number) => Array.from({ length: n }, (_, i) => ({ uid: `v${String(i).padStart(3, '0')}`, date: `2026-01-${String((i % 28) + 1).padStart(2, '0')}T00:00:00.000Z` }));

test('the share is ceil(total / N), never more than all, none of none', () => {
  assert.equal(shareSize(70, 7), 10);
  assert.equal(shareSize(71, 7), 11);
  assert.equal(shareSize(3, 7), 1);
  assert.equal(shareSize(3, 1), 3);
  assert.equal(shareSize(0, 7), 0);
});

test('N runs scrub every version at least once, never-scrubbed ones first', () => {
  const all = versions(100);
  const record: Record<string, string> = {};
  for (let night = 1; night <= 7; night++) {
    const share = pickScrubShare(all, record, 7);
    assert.equal(share.length, 15);
    for (const v of share) record[v.uid] = `2026-02-0${night}T00:00:00.000Z`;
  }
  assert.equal(Object.keys(record).length, 100, 'every version within 7 runs');
});

test('the least recently scrubbed come first; a new version comes before any scrubbed one', () => {
  const all = [...versions(4), { uid: 'new', date: '2026-03-01T00:00:00.000Z' }];
  const record = { v000: '2026-02-05T00:00:00.000Z', v001: '2026-02-01T00:00:00.000Z', v002: '2026-02-03T00:00:00.000Z', v003: '2026-02-04T00:00:00.000Z' };
  assert.deepEqual(
    pickScrubShare(all, record, 2).map((v) => v.uid),
    ['new', 'v001', 'v002'],
  );
});

test('the record keeps only versions that still exist', () => {
  assert.deepEqual(pruneRecord({ a: 'x', b: 'y' }, new Set(['b', 'c'])), { b: 'y' });
});
