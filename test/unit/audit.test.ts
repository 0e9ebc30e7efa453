// The audit trail's pure parts: who (`<user>@<host>`) and what (the Web UI's
// one-line summary and details of every start).
import assert from 'node:assert/strict';
import { hostname, userInfo } from 'node:os';
import { test } from 'node:test';
import type { WorkflowStartInput } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { stampStart } from '../../cli/audit-stamp.ts';
import { operatorIdentity } from '../../lib/audit/identity.ts';
import { startDetails, startSummary } from '../../lib/audit/summary.ts';
import { diskOperationAttributes, StartedBy, VmName } from '../../lib/search-attributes.ts';
import { nightlyAttributes } from '../../lib/operations/nightly-start.ts';

test('the operator is <user>@<host> from the OS', () => {
  assert.equal(operatorIdentity({}), `${userInfo().username}@${hostname()}`);
});

test('under sudo the operator is the person who ran sudo, and only root can claim that', () => {
  const me = userInfo().username;
  assert.equal(operatorIdentity({ SUDO_USER: 'alice' }), `${me === 'root' ? 'alice' : me}@${hostname()}`);
  assert.equal(operatorIdentity({ SUDO_USER: 'x y;z' }), `${me}@${hostname()}`, 'a SUDO_USER that is no user name is ignored');
});

test('a restore reads like a log line: name, project, target date, host', () => {
  const attributes = diskOperationAttributes({ operation: 'restore', vmId: 'demo-web01', vmName: 'web01', host: 'backup1', project: 'demo' });
  assert.equal(startSummary({ workflowType: 'restoreInstance', attributes, versionDate: '2026-11-20T02:00:13Z' }), 'restore web01 (project demo) to 2026-11-20 on backup1');
  assert.ok(attributes.some((a) => a.key.name === VmName.name && a.value === 'web01'), 'VmName is set when the name is known');
});

test('without a name the id stands in; volumes and images say which they are; unknown projects are left out', () => {
  const backup = diskOperationAttributes({ operation: 'backup', vmId: 'vm-1', host: 'backup2' });
  assert.equal(startSummary({ workflowType: 'backupInstance', attributes: backup }), 'backup vm-1 on backup2');
  assert.ok(!backup.some((a) => a.key.name === VmName.name), 'no VmName when the starter does not know it');
  const volume = diskOperationAttributes({ operation: 'backup', vmId: 'vol-1', host: 'backup1', project: 'p1', workload: 'volumes' });
  assert.equal(startSummary({ workflowType: 'backupInstance', attributes: volume, input: { dryRun: true } }), 'dry run: backup volume vol-1 (project p1) on backup1');
  assert.equal(startSummary({ workflowType: 'nightlyBackups', attributes: nightlyAttributes('backup1', 'vms') }), 'night of vms on backup1');
  assert.equal(startSummary({ workflowType: 'restoreProject', attributes: [], input: { project: 'demo', at: '2026-11-20T00:00:00Z' } }), 'restore project demo to 2026-11-20');
});

test('the details list every fact, one per line', () => {
  const attributes = [...diskOperationAttributes({ operation: 'restore', vmId: 'vm-1', host: 'backup1' }), { key: StartedBy, value: 'ops@admin1' }];
  const details = startDetails({ workflowType: 'restoreInstance', attributes, input: { versionUid: 'abc-1' }, versionDate: '2026-11-20T02:00:13Z' });
  assert.match(details, /^\*\*restore vm-1 to 2026-11-20 on backup1\*\*$/m);
  assert.match(details, /^- StartedBy: `ops@admin1`$/m);
  assert.match(details, /^- version: `abc-1` \(2026-11-20T02:00:13Z\)$/m);
});

/** The stamp always hands on a plain list. */
const pairs = (input: { options: WorkflowStartInput['options'] }) => input.options.typedSearchAttributes as SearchAttributePair[];

test('every CLI start gets StartedBy and a summary; what the command set itself is kept', () => {
  const options: WorkflowStartInput['options'] = { args: [{ vmId: 'vm-1' }], taskQueue: 'q', workflowId: 'backup/vm-1/2026-12-03', typedSearchAttributes: diskOperationAttributes({ operation: 'backup', vmId: 'vm-1', host: 'backup1' }) };
  const stamped = stampStart({ workflowType: 'backupInstance', options }, 'ops@admin1');
  assert.ok(pairs(stamped).some((a) => a.key.name === 'StartedBy' && a.value === 'ops@admin1'));
  assert.equal(stamped.options.staticSummary, 'backup vm-1 on backup1');
  assert.match(stamped.options.staticDetails!, /StartedBy: `ops@admin1`/);

  const own = stampStart({ workflowType: 'restoreInstance', options: { ...options, staticSummary: 'restore vm-1 to 2026-11-20 on backup1' } }, 'ops@admin1');
  assert.equal(own.options.staticSummary, 'restore vm-1 to 2026-11-20 on backup1');
  assert.match(own.options.staticDetails!, /^\*\*restore vm-1 to 2026-11-20 on backup1\*\*/, 'the details repeat the summary the command chose');

  const scheduled = stampStart({ workflowType: 'backupInstance', options: { ...options, typedSearchAttributes: [{ key: StartedBy, value: 'vmbackup/backup1/vms' }] } }, 'ops@admin1');
  assert.deepEqual(pairs(scheduled).filter((a) => a.key.name === 'StartedBy').map((a) => a.value), ['vmbackup/backup1/vms']);
});
