import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decidePurge, KEPT_DETAILS_PER_REASON, type PurgeCandidate, summarizeKept, versionExpiry, workloadOfVersionName } from '../../lib/purge-policy.ts';

const policy = { asOf: '2026-03-01T12:00:00Z', minAgeDays: 3, liveForDays: { vms: 8, volumes: 14 } };
let n = 0;
const version = (v: Partial<PurgeCandidate> & Pick<PurgeCandidate, 'date'>): PurgeCandidate => ({
  uid: `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`,
  name: 'vm1_disk',
  valid: true,
  protected: false,
  tags: [],
  ...v,
});
const verdicts = (versions: PurgeCandidate[], p = policy) => {
  const d = decidePurge(versions, p);
  return Object.fromEntries([...d.remove.map((v) => [v.uid, 'remove']), ...d.keep.map((v) => [v.uid, v.reason])]);
};

test('workload from the version name: <id>_disk, volume-<id>, otherwise a Glance image', () => {
  assert.equal(workloadOfVersionName('3f1c_disk'), 'vms');
  assert.equal(workloadOfVersionName('volume-9a2b'), 'volumes');
  assert.equal(workloadOfVersionName('4d5e'), 'images');
});

test('expiry: the expires_ tag wins; without it, the date plus the workload lifespan; else unknown', () => {
  assert.deepEqual(versionExpiry({ name: 'a_disk', date: '2026-02-01T05:00:00.000Z', tags: ['expires_2026-02-20'] }, policy.liveForDays), {
    day: '2026-02-20',
    because: 'tag expires_2026-02-20',
  });
  assert.equal(versionExpiry({ name: 'a_disk', date: '2026-02-01T23:30:00.000Z', tags: [] }, policy.liveForDays)?.day, '2026-02-09');
  assert.equal(versionExpiry({ name: 'volume-a', date: '2026-02-01T05:00:00.000Z', tags: [] }, policy.liveForDays)?.day, '2026-02-15');
  assert.equal(versionExpiry({ name: 'img', date: '2026-02-01T05:00:00.000Z', tags: [] }, policy.liveForDays), undefined, 'images not configured');
  assert.equal(versionExpiry({ name: 'a_disk', date: '2026-02-01T05:00:00.000Z', tags: ['expires_2026-02-31'] }, policy.liveForDays), undefined, 'malformed tag');
});

test('a version goes once its expiry day is over, not during it', () => {
  const old = version({ date: '2026-02-01T00:00:00.000Z', tags: ['expires_2026-02-28'] });
  const newest = version({ date: '2026-02-20T00:00:00.000Z' });
  assert.equal(verdicts([old, newest], { ...policy, asOf: '2026-02-28T23:59:59Z' })[old.uid], 'not-expired');
  assert.equal(verdicts([old, newest], { ...policy, asOf: '2026-03-01T00:00:00Z' })[old.uid], 'remove');
});

test('never protected, never the newest valid version of a disk, never younger than min age', () => {
  const expired = (date: string, extra: Partial<PurgeCandidate> = {}) => version({ date, tags: ['expires_2026-01-01'], ...extra });
  const a = expired('2025-12-01T00:00:00.000Z');
  const prot = expired('2025-12-02T00:00:00.000Z', { protected: true });
  const newestValid = expired('2025-12-03T00:00:00.000Z');
  const newerInvalid = expired('2025-12-04T00:00:00.000Z', { valid: false });
  const young = expired('2026-02-27T13:00:00.000Z', { name: 'vm2_disk', valid: false });
  const otherDisk = expired('2025-12-01T00:00:00.000Z', { name: 'vm2_disk' });
  const otherDiskNewest = expired('2025-12-05T00:00:00.000Z', { name: 'vm2_disk' });
  assert.deepEqual(verdicts([a, prot, newestValid, newerInvalid, young, otherDisk, otherDiskNewest]), {
    [a.uid]: 'remove',
    [prot.uid]: 'protected',
    [newestValid.uid]: 'newest-valid',
    [newerInvalid.uid]: 'remove',
    [young.uid]: 'too-young',
    [otherDisk.uid]: 'remove',
    [otherDiskNewest.uid]: 'newest-valid',
  });
});

test('unknown expiry stays; removals are oldest first, capped per run; reasons are spelled out', () => {
  const image = version({ name: 'img', date: '2025-01-01T00:00:00.000Z' });
  const imageNewest = version({ name: 'img', date: '2025-01-05T00:00:00.000Z' });
  const olds = ['2025-01-03', '2025-01-02', '2025-01-04'].map((d) => version({ date: `${d}T00:00:00.000Z` }));
  const newest = version({ date: '2026-02-20T00:00:00.000Z' });
  const d = decidePurge([image, imageNewest, ...olds, newest], { ...policy, maxRemovals: 2 });
  assert.deepEqual(
    d.remove.map((v) => [v.date.slice(0, 10), v.expires, v.reason]),
    [
      ['2025-01-02', '2025-01-10', 'expired 2025-01-10 (made 2025-01-02 + 8 days (vms))'],
      ['2025-01-03', '2025-01-11', 'expired 2025-01-11 (made 2025-01-03 + 8 days (vms))'],
    ],
  );
  assert.deepEqual(
    d.keep.map((v) => [v.uid, v.reason]),
    [
      [image.uid, 'unknown-expiry'],
      [olds[2]!.uid, 'over-run-limit'],
      [imageNewest.uid, 'newest-valid'],
      [newest.uid, 'newest-valid'],
    ],
  );
});

test('kept versions are summarised: counts by reason, a few details each', () => {
  const many = Array.from({ length: KEPT_DETAILS_PER_REASON + 5 }, (_, i) => ({ uid: `u${i}`, name: 'x_disk', date: '2026-01-01', reason: 'not-expired' as const }));
  const s = summarizeKept([...many, { uid: 'p', name: 'x_disk', date: '2026-01-01', reason: 'protected' }]);
  assert.equal(s.total, many.length + 1);
  assert.deepEqual(s.byReason, { 'not-expired': many.length, protected: 1 });
  assert.equal(s.details.length, KEPT_DETAILS_PER_REASON + 1);
  assert.equal(s.detailsOmitted, 5);
  summarizeKept([{ uid: 'q', name: 'x_disk', date: '2026-01-01', reason: 'protected' }], s);
  assert.equal(s.byReason.protected, 2);
});

test('a purge never leaves a disk without a valid version: newest invalid, newest protected, a single version, any mix', () => {
  const expired = (name: string, day: number, extra: Partial<PurgeCandidate> = {}) =>
    version({ name, date: `2025-12-${String(day).padStart(2, '0')}T00:00:00.000Z`, tags: ['expires_2026-01-01'], ...extra });
  // The newest version is invalid: the newest valid one under it stays.
  const a1 = expired('a_disk', 1);
  const a2 = expired('a_disk', 2);
  const a3 = expired('a_disk', 3, { valid: false });
  // The newest valid version is protected: it stays as protected, so the disk keeps a valid one.
  const b1 = expired('b_disk', 1);
  const b2 = expired('b_disk', 2, { protected: true });
  // One version only.
  const c1 = expired('c_disk', 1);
  assert.deepEqual(verdicts([a1, a2, a3, b1, b2, c1]), {
    [a1.uid]: 'remove',
    [a2.uid]: 'newest-valid',
    [a3.uid]: 'remove',
    [b1.uid]: 'remove',
    [b2.uid]: 'protected',
    [c1.uid]: 'newest-valid',
  });

  // Every mix of valid, protected and dates over a few disks: whatever had a valid version keeps one.
  let seed = 7;
  const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  for (let round = 0; round < 200; round++) {
    const versions = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
      expired(`d${Math.floor(random() * 3)}_disk`, 1 + Math.floor(random() * 28), { valid: random() > 0.3, protected: random() > 0.8 }),
    );
    const removed = new Set(decidePurge(versions, { ...policy, maxRemovals: Math.floor(random() * 10) }).remove.map((v) => v.uid));
    for (const name of new Set(versions.map((v) => v.name))) {
      const valid = versions.filter((v) => v.name === name && v.valid);
      if (valid.length) assert.ok(valid.some((v) => !removed.has(v.uid)), `round ${round}: ${name} keeps a valid version`);
    }
  }
});
