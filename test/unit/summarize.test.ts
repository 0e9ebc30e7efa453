// The figures of `vmbackup summary`: logical sizes, counts, top lists and the
// project of each version from its project_<id> tag.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarize, type SummaryVersion } from '../../cli/summarize.ts';

const MiB = 1024 * 1024;
const v = (host: string, name: string, size: number, date: string, project?: string, valid = true): SummaryVersion => ({
  host,
  name,
  sizeBytes: size * MiB,
  valid,
  date: `2026-11-${date}T00:00:00.000Z`,
  tags: ['full_backup', ...(project ? [`project_${project}`] : [])],
});

const versions = [
  v('backup1', 'a_disk', 10, '01', 'p1'),
  v('backup1', 'a_disk', 10, '02', 'p1'),
  v('backup2', 'a_disk', 10, '03', 'p1', false),
  v('backup1', 'b_disk', 100, '01', 'p2'),
  v('backup2', 'c_disk', 1, '01'),
  v('backup2', 'c_disk', 1, '02'),
  v('backup2', 'c_disk', 1, '03'),
  v('backup2', 'c_disk', 1, '04'),
];

test('totals: the logical size is the sum of the version sizes; disks are counted once across hosts', () => {
  const s = summarize(versions);
  assert.equal(s.logicalBytes, 134 * MiB);
  assert.equal(s.disks, 3);
  assert.equal(s.versions, 8);
  assert.equal(s.invalidVersions, 1);
  assert.deepEqual(s.versionsPerDisk, { min: 1, median: 3, max: 4 });
  assert.deepEqual(s.hosts, [
    { host: 'backup1', disks: 2, versions: 3, logicalBytes: 120 * MiB },
    { host: 'backup2', disks: 2, versions: 5, logicalBytes: 14 * MiB },
  ]);
});

test('top projects and disks by logical size; a version without a project tag counts as unknown', () => {
  const s = summarize(versions);
  assert.deepEqual(s.topProjects.map((p) => [p.project, p.disks, p.versions, p.logicalBytes / MiB]), [
    ['p2', 1, 1, 100],
    ['p1', 1, 3, 30],
    ['unknown', 1, 4, 4],
  ]);
  assert.deepEqual(s.topDisks.map((d) => [d.name, d.project, d.hosts]), [
    ['b_disk', 'p2', ['backup1']],
    ['a_disk', 'p1', ['backup1', 'backup2']],
    ['c_disk', 'unknown', ['backup2']],
  ]);
  assert.equal(summarize(versions, {}, 2).topDisks.length, 2);
});

test('--project and --host narrow every figure; an even count has the mean of the middle two as median', () => {
  assert.equal(summarize(versions, { project: 'p1' }).versions, 3);
  assert.equal(summarize(versions, { project: 'unknown' }).disks, 1);
  const b2 = summarize(versions, { host: 'backup2' });
  assert.deepEqual([b2.disks, b2.versions, b2.invalidVersions], [2, 5, 1]);
  assert.deepEqual(b2.versionsPerDisk, { min: 1, median: 2.5, max: 4 });
  assert.equal(summarize([], {}).versionsPerDisk, undefined);
});
