// `vmbackup plan`'s model: a night from its disks' fixed cost and bytes shared
// by the host's lanes, fitted from measured nights; per-project work from the
// store's stats; greedy moves that even the hosts out, as a config snippet.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { movesYaml, needsBalancing, proposeMoves, type HostLoad } from '../../lib/forecast/balance.ts';
import { boundProjects, changedShare, DEFAULT_CHANGED_SHARE, diskHistories, OTHER_PROJECTS, projectWork, readRate, type ProjectWork, type VersionStat } from '../../lib/forecast/disk-work.ts';
import { measuredNight, planFleet } from '../../lib/forecast/fleet-plan.ts';
import { fitFixedSeconds, fitHostModel, type HostModel, predictSeconds } from '../../lib/forecast/model.ts';

const MB = 1024 * 1024;
const model = (over: Partial<HostModel> = {}): HostModel => ({ fixedSecondsPerDisk: 10, readBytesPerSecond: 100 * MB, concurrency: 2, nights: 1, ...over });

test('a night: lanes share the work, and no night is shorter than its longest disk', () => {
  // 4 disks × (10 s + 100 MB at 100 MB/s) = 44 s of lane time over 2 lanes.
  assert.equal(predictSeconds({ disks: 4, bytes: 400 * MB, maxDiskBytes: 100 * MB }, model()), 22);
  // One 10 GB disk: 110 s, more than the shared 60 s.
  assert.equal(predictSeconds({ disks: 2, bytes: 10_100 * MB, maxDiskBytes: 10_000 * MB }, model()), 110);
  // Fewer disks than lanes: one lane each.
  assert.equal(predictSeconds({ disks: 1, bytes: 0, maxDiskBytes: 0 }, model({ concurrency: 8 })), 10);
  assert.equal(predictSeconds({ disks: 0, bytes: 0, maxDiskBytes: 0 }, model()), 0);
});

test('the fixed cost is what the copies do not explain of the lane time, the median over the nights', () => {
  // 2 lanes × 50 s = 100 lane-s; 1000 MB at 100 MB/s = 10 s; 90 s over 10 disks.
  const nights = [
    { durationSeconds: 50, disks: 10, bytesRead: 1000 * MB },
    { durationSeconds: 30, disks: 10, bytesRead: 0 },
    { durationSeconds: 500, disks: 10, bytesRead: 0 },
  ];
  assert.equal(fitFixedSeconds(nights.slice(0, 1), 100 * MB, 2), 9);
  assert.equal(fitFixedSeconds(nights, 100 * MB, 2), 9);
  assert.equal(fitFixedSeconds([], 100 * MB, 2), undefined);
  // Never negative (a store faster than its stats said).
  assert.equal(fitFixedSeconds([{ durationSeconds: 1, disks: 1, bytesRead: 1000 * MB }], 100 * MB, 2), 0);
  // No read rate measured: the fixed cost carries everything.
  assert.deepEqual(fitHostModel(nights.slice(0, 1), undefined, 2), { fixedSecondsPerDisk: 10, readBytesPerSecond: Infinity, concurrency: 2, nights: 1 });
  // The fit predicts the night it came from.
  const m = fitHostModel(nights.slice(0, 1), 100 * MB, 2)!;
  assert.equal(predictSeconds({ disks: 10, bytes: 1000 * MB, maxDiskBytes: 100 * MB }, m), 50);
});

test("a night's memo is a measured night only when it backed something up", () => {
  assert.deepEqual(measuredNight({ summary: { counts: { full: 2, incremental: 3, failed: 1 }, bytesRead: 5, durationSeconds: 60 } }), { durationSeconds: 60, disks: 6, bytesRead: 5 });
  assert.equal(measuredNight({ summary: { counts: { full: 0, incremental: 0, failed: 0 }, bytesRead: 0, durationSeconds: 3 } }), undefined);
  assert.equal(measuredNight({ summary: { counts: { full: 1 }, bytesRead: 0 } }), undefined);
  assert.equal(measuredNight(undefined), undefined);
});

const stat = (name: string, day: number, sizeBytes: number, bytesRead: number, durationSeconds = 1, full?: boolean): VersionStat => ({
  uid: `${name}-${day}`,
  name,
  date: `2026-12-0${day}T01:00:00.000Z`,
  sizeBytes,
  bytesRead,
  durationSeconds,
  full,
});

test("a disk's changed bytes: the mean of its newest incrementals, full copies left out", () => {
  const h = diskHistories([stat('a_disk', 1, 100 * MB, 100 * MB), stat('a_disk', 2, 100 * MB, 4 * MB), stat('a_disk', 3, 100 * MB, 8 * MB), stat('b_disk', 3, 50 * MB, 50 * MB)]);
  assert.deepEqual(h.get('a_disk'), { sizeBytes: 100 * MB, changedBytes: 6 * MB });
  assert.deepEqual(h.get('b_disk'), { sizeBytes: 50 * MB, changedBytes: undefined });
  assert.equal(changedShare(h), 0.06);
  assert.equal(changedShare(new Map()), DEFAULT_CHANGED_SHARE);
  // A full copy of a sparse disk reads only its data: its kind tag tells it from a night's changes.
  assert.equal(diskHistories([stat('c_disk', 1, 100 * MB, 8 * MB, 1, true), stat('c_disk', 2, 100 * MB, 2 * MB, 1, false)]).get('c_disk')!.changedBytes, 2 * MB);
  // Bytes over seconds of the copies since the date.
  // Whole seconds, cut down by backy2: half a second added back to each, copies under a second left out.
  assert.equal(readRate([stat('a_disk', 1, 0, 100 * MB, 10), stat('a_disk', 3, 0, 25 * MB, 2), stat('b_disk', 3, 0, 8 * MB, 0)], '2026-12-02T00:00:00.000Z'), 10 * MB);
  assert.equal(readRate([stat('a_disk', 3, 0, 8 * MB, 0), stat('b_disk', 3, 0, 8 * MB, 0)], '2026-12-02T00:00:00.000Z'), undefined);
  assert.equal(readRate([], '2026-12-02T00:00:00.000Z'), undefined);
});

test('per project: tonight copies a disk with no valid version whole, the others by their changed bytes', () => {
  const stats = [stat('a_disk', 1, 100 * MB, 100 * MB), stat('a_disk', 2, 100 * MB, 10 * MB)];
  const disks = [
    { id: 'a', name: 'a', projectId: 'p1', image: 'a_disk' },
    { id: 'b', name: 'b', projectId: 'p1', image: 'b_disk' },
    { id: 'c', name: 'c', image: 'c_disk' },
  ];
  const sizes = new Map([['b_disk', 200 * MB], ['c_disk', 20 * MB]]);
  const [p1, unknown] = projectWork(disks, diskHistories(stats), new Set(['a_disk']), sizes);
  assert.deepEqual(p1, {
    project: 'p1',
    tonight: { disks: 2, bytes: 210 * MB, maxDiskBytes: 200 * MB },
    // b has no history: the host's median changed share (10 %) of its size.
    steady: { disks: 2, bytes: 30 * MB, maxDiskBytes: 20 * MB },
    fullDisks: 1,
    sizeBytes: 300 * MB,
    maxDiskSizeBytes: 200 * MB,
  });
  assert.equal(unknown!.project, 'unknown');
});

const project = (name: string, disks: number, bytes = 0): ProjectWork => {
  const work = { disks, bytes, maxDiskBytes: disks ? bytes / disks : 0 };
  return { project: name, tonight: work, steady: work, fullDisks: 0, sizeBytes: bytes * 10, maxDiskSizeBytes: 0 };
};

test('the projects a host reports are bounded; the rest are one row no move proposes', () => {
  const list = Array.from({ length: 10 }, (_, i) => project(`p${i}`, 1, i * MB));
  const bounded = boundProjects(list, 4);
  assert.equal(bounded.length, 4);
  assert.deepEqual(bounded.slice(0, 3).map((p) => p.project), ['p9', 'p8', 'p7']);
  assert.equal(bounded[3]!.project, OTHER_PROJECTS);
  assert.equal(bounded[3]!.tonight.disks, 7);
});

const host = (name: string, projects: ProjectWork[], windowHours = 1): HostLoad => ({ host: name, model: model({ readBytesPerSecond: Infinity }), windowSeconds: windowHours * 3600, projects });

test('one host with every project: moves even them out, never the lumped row, and print as a snippet', () => {
  // backup1: 6 projects × 100 disks × 10 s / 2 lanes = 3000 s of a 3600 s window; backup2 idle.
  const names = ['5f1a', 'p-b', 'p-c', 'p-d', 'p-e', 'true'];
  const hosts = [host('backup1', [...names.map((n) => project(n, 100)), project(OTHER_PROJECTS, 100)]), host('backup2', [])];
  assert.equal(needsBalancing(hosts), true);
  const { moves, after } = proposeMoves(hosts);
  assert.ok(moves.length >= 3 && moves.length <= 4, `moves: ${moves.map((m) => m.project).join(',')}`);
  assert.ok(moves.every((m) => m.from === 'backup1' && m.to === 'backup2' && m.project !== OTHER_PROJECTS));
  assert.equal(moves[0]!.steadySeconds, 1000);
  const loads = after.map((h) => h.projects.reduce((s, p) => s + p.steady.disks, 0));
  assert.deepEqual(loads.sort(), [300, 400]);
  // The hosts given are not changed.
  assert.equal(hosts[0]!.projects.length, 7);
  const yaml = movesYaml([{ ...moves[0]!, project: '5f1a' }, { ...moves[0]!, project: 'true' }, { ...moves[0]!, project: 'p-b' }], (s) => `${s}s`);
  assert.match(yaml, /^project_assignments:\n {2}projects:\n {4}'5f1a': backup2 {3}# from backup1; about 1000s of lane time a night\n {4}'true': backup2/);
  assert.match(yaml, /\n {4}p-b: backup2/);
});

test('even hosts that fit need no moves; one that does not fit does', () => {
  assert.equal(needsBalancing([host('a', [project('p1', 100)]), host('b', [project('p2', 110)])]), false);
  assert.equal(needsBalancing([host('a', [project('p1', 100)])]), false);
  // Tonight 1000 s > a 0.2 h window (720 s), even though both are as loaded.
  assert.equal(needsBalancing([host('a', [project('p1', 200)], 0.2), host('b', [project('p2', 200)], 0.2)]), true);
  // A single project too big to move usefully: no move.
  assert.deepEqual(proposeMoves([host('a', [project('p1', 1000)]), host('b', [])]).moves, []);
});

test('the fleet plan: a host with no measured night borrows the others\' figures; --host proposes nothing', () => {
  const base = { concurrency: 2, windowSeconds: 1000, planned: 100, full: 0, readBytesPerSecond: 100 * MB };
  const inputs = [
    { ...base, host: 'backup1', projects: [project('p1', 50), project('p2', 50)], nights: [{ durationSeconds: 500, disks: 100, bytesRead: 0 }] },
    { ...base, host: 'backup2', planned: 0, projects: [], nights: [] },
  ];
  const plan = planFleet(inputs, { balance: true });
  assert.equal(plan.hosts[0]!.modelFrom, 'measured');
  assert.equal(plan.hosts[0]!.model!.fixedSecondsPerDisk, 10);
  assert.equal(plan.hosts[0]!.predictedSeconds, 500);
  assert.equal(plan.hosts[0]!.fits, true);
  assert.equal(plan.hosts[1]!.modelFrom, 'fleet');
  assert.equal(plan.hosts[1]!.predictedSeconds, 0);
  assert.deepEqual(plan.balance!.moves.map((m) => [m.project, m.to]), [['p1', 'backup2']]);
  assert.equal(planFleet(inputs.slice(0, 1), { balance: false }).balance, undefined);
  assert.equal(planFleet([{ ...inputs[1]! }], { balance: true }).hosts[0]!.modelFrom, 'none');
});
