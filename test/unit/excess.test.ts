// show-excess's rule (lib/listings/excess.ts): more versions than the purge
// policy keeps, or more than one backup snapshot of a host on a disk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineVersion } from '../../activities/engine/engine.ts';
import { findExcess } from '../../lib/listings/excess.ts';
import { leftAfter, pageOf } from '../../lib/listings/page.ts';

let n = 0;
const v = (name: string, day: string, extra: Partial<EngineVersion> = {}): EngineVersion => ({
  uid: `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`,
  name,
  snapshotName: `${day}T02:00:00_backup1`,
  date: `${day}T02:00:00.000Z`,
  sizeBytes: 1,
  valid: true,
  protected: false,
  tags: [],
  ...extra,
});
const policy = { asOf: '2026-03-20T12:00:00Z', minAgeDays: 3, liveForDays: { vms: 8 } };
const days = (from: number, count: number) => Array.from({ length: count }, (_, i) => `2026-03-${String(from + i).padStart(2, '0')}`);

test('versions past their lifespan are excess; a disk within its policy is not listed', () => {
  const versions = [...days(1, 19).map((d) => v('a_disk', d)), ...days(13, 7).map((d) => v('b_disk', d))];
  const excess = findExcess(versions, new Map(), policy);
  // a: 1st–19th; as of the 20th, lifespan 8 days: made the 1st…11th expired by the end of the 19th.
  assert.deepEqual(excess, [{ image: 'a_disk', workload: 'vms', versions: 19, excessVersions: 11, snapshots: 0, excessSnapshots: 0 }]);
});

test('keep rules: versions beyond keep_last are excess, protected ones never', () => {
  const versions = days(1, 10).map((d, i) => v('c_disk', d, { protected: i === 0 }));
  const [c] = findExcess(versions, new Map(), { ...policy, keep: { vms: { last: 3, daily: 0, weekly: 0, monthly: 0 } } });
  // 10 versions: the newest 3 by keep-last, the protected one, the rest (6) excess.
  assert.equal(c?.excessVersions, 6);
});

test('more than one backup snapshot of this host on a disk is excess, even with no excess version', () => {
  const excess = findExcess([v('d_disk', '2026-03-19')], new Map([['d_disk', 3], ['e_disk', 1]]), policy);
  assert.deepEqual(excess, [{ image: 'd_disk', workload: 'vms', versions: 1, excessVersions: 0, snapshots: 3, excessSnapshots: 2 }]);
});

test('most excess first, then by name', () => {
  const excess = findExcess([], new Map([['b_disk', 2], ['a_disk', 2], ['z_disk', 5]]), policy);
  assert.deepEqual(excess.map((d) => d.image), ['z_disk', 'a_disk', 'b_disk']);
});

test('a page says how many rows it left out after it', () => {
  const page = pageOf([1, 2, 3, 4, 5], 1, 2);
  assert.deepEqual(page, { rows: [2, 3], total: 5, offset: 1 });
  assert.equal(leftAfter(page), 2);
  assert.equal(leftAfter(pageOf([1, 2], 0, 10)), 0);
});
