// The store's gauges: stale disks (bounded: a count per host and workload,
// never a series per disk) and snapshots left behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leftBehindSnapshots, storeFacts, type StoredVersion } from '../../lib/health/store-facts.ts';

const NOW = new Date('2026-12-03T08:00:00Z');
const v = (name: string, date: string, valid = true, snapshotName = 'x'): StoredVersion => ({ name, date, valid, snapshotName, sizeBytes: 100 });
const inventory = (ids: string[]) => ({ workload: 'vms' as const, driver: 'local', takenAt: NOW.toISOString(), ids, missingSince: {} });

test('a disk is stale when still listed, backed up here once, and its newest valid version is older than the threshold', () => {
  const versions = [
    v('fresh_disk', '2026-12-03T02:00:00Z'),
    v('old_disk', '2026-11-30T02:00:00Z'),
    v('old_disk', '2026-12-03T02:00:00Z', false), // a newer but invalid version does not count
    v('gone_disk', '2026-11-20T02:00:00Z'), // deleted: no longer in the inventory
  ];
  const facts = storeFacts(versions, [inventory(['fresh', 'old', 'never'])], 2, NOW);
  assert.deepEqual(facts, { validVersions: 3, invalidVersions: 1, logicalBytes: 300, workloads: [{ workload: 'vms', disks: 2, stale: 1 }] });
});

test("snapshots left behind: this host's, with no valid version, older than 10 minutes", () => {
  const versions = [v('a_disk', '2026-12-03T02:00:00Z', true, '2026-12-03T02:00:00_b1'), v('b_disk', '2026-12-03T02:00:00Z', false, '2026-12-03T02:00:00_b1')];
  const snaps = [
    { image: 'a_disk', snapshot: '2026-12-03T02:00:00_b1' }, // its version is valid
    { image: 'b_disk', snapshot: '2026-12-03T02:00:00_b1' }, // version invalid: left behind
    { image: 'c_disk', snapshot: '2026-12-02T02:00:00_b1' }, // no version: left behind
    { image: 'c_disk', snapshot: '2026-12-03T07:55:00_b1' }, // a backup under way
    { image: 'c_disk', snapshot: '2026-12-02T02:00:00_b2' }, // another host's
    { image: 'd', snapshot: 'snap' }, // not ours at all
  ];
  assert.equal(leftBehindSnapshots(snaps, versions, 'b1', NOW), 2);
});
