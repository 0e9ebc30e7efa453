// The visibility query of `vmbackup status`: filters narrow it, values are
// checked before they are quoted in, and running operations come first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byStatusOrder, StatusFilters, statusQuery } from '../../cli/status-query.ts';

test('the query keeps running operations whatever their start, and adds each filter given', () => {
  const since = new Date('2026-11-24T12:00:00Z');
  assert.equal(statusQuery({ since }), 'Operation IS NOT NULL AND (ExecutionStatus = "Running" OR StartTime >= "2026-11-24T12:00:00.000Z")');
  assert.equal(
    statusQuery({ since, host: 'backup1', vm: 'vm-1', project: 'p1', operation: 'backup', workload: 'vms' }),
    'Operation IS NOT NULL AND (ExecutionStatus = "Running" OR StartTime >= "2026-11-24T12:00:00.000Z")' +
      ' AND Operation = "backup" AND VmId = "vm-1" AND BackupHost = "backup1" AND Project = "p1" AND Workload = "vms"',
  );
});

test('a filter value that could change the query is refused', () => {
  const since = new Date('2026-11-25T12:00:00Z');
  for (const f of [{ vm: 'a" OR VmId != "' }, { host: 'Backup 1' }, { project: "p'1" }, { operation: 'backup"' }, { workload: 'disks' }]) {
    assert.equal(StatusFilters.safeParse({ since, ...f }).success, false, JSON.stringify(f));
  }
});

test('running operations first, then the newest start', () => {
  const rows = [
    { id: 'old', running: false, startTime: '2026-11-25T01:00:00.000Z' },
    { id: 'run-old', running: true, startTime: '2026-11-24T01:00:00.000Z' },
    { id: 'new', running: false, startTime: '2026-11-25T09:00:00.000Z' },
    { id: 'run-new', running: true, startTime: '2026-11-25T08:00:00.000Z' },
  ];
  assert.deepEqual(rows.sort(byStatusOrder).map((r) => r.id), ['run-new', 'run-old', 'new', 'old']);
});
