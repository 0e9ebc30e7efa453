// The conditions of `vmbackup check` (and the exporter's gauges), on facts
// written here: each condition, its severity, and the Nagios exit code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeHost, renderLines, verdict } from '../../lib/health/conditions.ts';
import type { HostFacts } from '../../lib/health/facts.ts';

const NOW = new Date('2026-12-03T08:00:00Z');
const T = { night_max_age_hours: 26, night_window_hours: 10 };
const ok = (workflowId: string, closedAt: string) => ({ workflowId, status: 'COMPLETED', outcome: 'ok', closedAt });

function healthy(over: Partial<HostFacts> = {}): HostFacts {
  const night = ok('nightly/b1/vms-2026-12-03T02:00:00Z', '2026-12-03T03:00:00Z');
  return {
    host: 'b1',
    queue: 'vmbackup.host.b1',
    pollers: 1,
    nights: [{ workload: 'vms', lastSuccess: night, last: night }],
    schedules: [{ kind: 'vms', scheduleId: 'vmbackup/b1/vms', exists: true, paused: false }],
    checks: [{ kind: 'verify', last: ok('verify/b1', '2026-12-03T05:10:00Z') }],
    ...over,
  };
}

const conditions = (facts: HostFacts) => judgeHost(facts, T, NOW).map((f) => `${f.severity} ${f.condition}`);

test('a healthy host: no finding, OK, exit 0, one line', () => {
  const v = verdict(judgeHost(healthy(), T, NOW));
  assert.deepEqual(v, { severity: 'OK', exitCode: 0, findings: [] });
  assert.deepEqual(renderLines(v, ['b1', 'b2']), ['OK: 2 host(s) healthy: b1, b2']);
});

test('no worker polling the host queue is CRITICAL', () => {
  assert.deepEqual(conditions(healthy({ pollers: 0 })), ['CRITICAL no-worker']);
});

test('no successful night within night_max_age_hours is CRITICAL; never one yet is WARNING, unless one runs', () => {
  const old = ok('nightly/b1/vms-2026-12-01T02:00:00Z', '2026-12-02T05:59:00Z'); // 26 h 1 min before NOW
  assert.deepEqual(conditions(healthy({ nights: [{ workload: 'vms', lastSuccess: old, last: old }] })), ['CRITICAL no-successful-night']);
  const recent = ok('x', '2026-12-02T06:01:00Z');
  assert.deepEqual(conditions(healthy({ nights: [{ workload: 'vms', lastSuccess: recent, last: recent }] })), []);
  assert.deepEqual(conditions(healthy({ nights: [{ workload: 'vms' }] })), ['WARNING no-successful-night']);
  assert.deepEqual(conditions(healthy({ nights: [{ workload: 'vms', running: { workflowId: 'n', startedAt: '2026-12-03T07:00:00Z' } }] })), []);
});

test('the last night failed, found no worker, or had failed disks', () => {
  const success = ok('n1', '2026-12-03T03:00:00Z');
  const after = (last: object) => conditions(healthy({ nights: [{ workload: 'vms', lastSuccess: success, last: { workflowId: 'n2', closedAt: '2026-12-03T04:00:00Z', ...last } as never }] }));
  assert.deepEqual(after({ status: 'TIMED_OUT' }), ['CRITICAL night-failed']);
  assert.deepEqual(after({ status: 'COMPLETED', outcome: 'unreachable' }), ['CRITICAL night-host-unreachable']);
  const partial = { ...success, outcome: 'partial', failedDisks: 3 };
  const f = judgeHost(healthy({ nights: [{ workload: 'vms', lastSuccess: partial, last: partial }] }), T, NOW);
  assert.deepEqual(f.map((x) => [x.severity, x.condition, x.message]), [['WARNING', 'night-disks-failed', 'host b1: vms: 3 disk(s) failed in the last night (n1)']]);
});

test('a night running past night_window_hours is WARNING', () => {
  const night = healthy().nights[0]!;
  const running = (startedAt: string) => conditions(healthy({ nights: [{ ...night, running: { workflowId: 'n', startedAt } }] }));
  assert.deepEqual(running('2026-12-02T21:59:00Z'), ['WARNING night-too-long']);
  assert.deepEqual(running('2026-12-02T22:01:00Z'), []);
});

test('a paused nightly Schedule is CRITICAL, a paused verify WARNING, a missing one WARNING', () => {
  const s = (kind: 'vms' | 'verify', exists: boolean, paused: boolean) => conditions(healthy({ schedules: [{ kind, scheduleId: `q/b1/${kind}`, exists, paused, note: 'disk swap' }] }));
  assert.deepEqual(s('vms', true, true), ['CRITICAL schedule-paused']);
  assert.deepEqual(s('verify', true, true), ['WARNING schedule-paused']);
  assert.deepEqual(s('vms', false, false), ['WARNING schedule-missing']);
  const line = renderLines(verdict(judgeHost(healthy({ schedules: [{ kind: 'vms', scheduleId: 'q/b1/vms', exists: true, paused: true, note: 'disk swap' }] }), T, NOW)), ['b1']);
  assert.deepEqual(line, ['CRITICAL: host b1: Schedule q/b1/vms is paused (disk swap): `vmbackup schedule unpause` resumes it']);
});

test('a verify or drill that found bad versions is CRITICAL; one that did not finish WARNING', () => {
  const c = (last: object) => conditions(healthy({ checks: [{ kind: 'drill', last: { workflowId: 'drill/b1', closedAt: '2026-12-03T06:00:00Z', ...last } as never }] }));
  assert.deepEqual(c({ status: 'COMPLETED', outcome: 'failed' }), ['CRITICAL drill-failed']);
  assert.deepEqual(c({ status: 'TERMINATED' }), ['WARNING drill-did-not-finish']);
  assert.deepEqual(c({ status: 'COMPLETED', outcome: 'ok' }), []);
});

test('the worst finding decides the exit code, and lines come worst first', () => {
  const facts = healthy({ pollers: 0, schedules: [{ kind: 'verify', scheduleId: 'q/b1/verify', exists: false, paused: false }] });
  const v = verdict(judgeHost(facts, T, NOW));
  assert.equal(v.severity, 'CRITICAL');
  assert.equal(v.exitCode, 2);
  assert.deepEqual(renderLines(v, ['b1']).map((l) => l.split(':')[0]), ['CRITICAL', 'WARNING']);
  assert.equal(verdict(judgeHost(healthy({ schedules: [{ kind: 'verify', scheduleId: 'q', exists: false, paused: false }] }), T, NOW)).exitCode, 1);
});
