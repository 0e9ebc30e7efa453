// The audit trail through the real CLI, workers and Temporal: who started an
// operation (StartedBy = <user>@<host>), on which VM by name (VmName), what it
// did (the Web UI's staticSummary), how it ended (Outcome); read-only `ls`
// leaves nothing under the disk's VmId; `history` lists it all newest first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { operatorIdentity } from '../../lib/audit/identity.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { schedulePrefix } from '../../lib/schedules.ts';
import type { BackupResult } from '../../lib/operations/backup.ts';
import type { RestoreResult } from '../../lib/operations/restore.ts';
import { Outcome, Project, StartedBy, VmName } from '../../lib/search-attributes.ts';
import type { HistoryEntry } from '../../cli/commands/history.ts';
import { auditScene } from '../support/audit-scene.ts';
import { vmbackupWith } from '../support/cli.ts';
import { connectClient, deleteSchedules, findWorkflows } from '../support/temporal.ts';

let scene: Awaited<ReturnType<typeof auditScene>>;
let client: Client;

before(async () => {
  scene = await auditScene('audit');
  client = await connectClient();
});
after(async () => {
  await scene?.cleanup();
  await client?.connection.close();
});

test('a CLI backup and restore say who, which VM by name, what and how it ended; ls adds nothing; history lists them newest first', { timeout: 300_000 }, async () => {
  const me = operatorIdentity();
  const backup = await scene.cli<BackupResult & { workflowId: string }>('backup', scene.vm, '--wait');
  const restore = await scene.cli<RestoreResult & { url: string }>('restore', scene.vm, '--version', backup.versionUid!, '--yes');

  const b = await client.workflow.getHandle(backup.workflowId).describe();
  assert.equal(b.typedSearchAttributes.get(StartedBy), me);
  assert.equal(b.typedSearchAttributes.get(VmName), scene.name, 'the CLI resolved the id through the inventory');
  assert.equal(b.typedSearchAttributes.get(Project), 'p-demo');
  assert.equal(b.typedSearchAttributes.get(Outcome), 'full');
  assert.equal(await b.staticSummary(), `backup ${scene.name} (project p-demo) on backup1`);
  assert.match((await b.staticDetails()) ?? '', new RegExp(`StartedBy: \`${me}\``));

  const [r] = await findWorkflows(client, `VmId = "${scene.vm}" AND Operation = "restore"`);
  const rd = await client.workflow.getHandle(r!.workflowId, r!.runId).describe();
  assert.equal(rd.typedSearchAttributes.get(StartedBy), me);
  assert.equal(rd.typedSearchAttributes.get(VmName), scene.name);
  assert.equal(rd.typedSearchAttributes.get(Outcome), 'restored');
  assert.equal(await rd.staticSummary(), `restore ${scene.name} (project p-demo) to ${restore.versionDate.slice(0, 10)} on backup1`, "the dry run told the CLI the VM's name and project");
  // The auditor's searches: by name, and by who.
  assert.equal((await findWorkflows(client, `VmName = "${scene.name}" AND StartedBy = "${me}" AND Operation = "restore"`)).length, 1);

  // backup2 has no worker here: ls says so and exits 1, after listing backup1's versions.
  const ls = await vmbackupWith(scene.configFile, 'ls', scene.vm);
  assert.match(ls.stdout, new RegExp(backup.versionUid!));
  const [listed] = await findWorkflows(client, `WorkflowType = "listBackups" AND WorkflowId STARTS_WITH "ls/${scene.vm}/"`);
  assert.ok(listed, 'ls ran its look-up workflow');
  const underVmId = await findWorkflows(client, `VmId = "${scene.vm}"`, 3);
  assert.deepEqual(underVmId.map((w) => w.workflowId).filter((id) => id.startsWith('ls/')), [], 'the look-up is not under the disk’s VmId');

  const { operations } = await scene.cli<{ operations: HistoryEntry[] }>('history', scene.vm);
  const real = operations.filter((o) => o.operation !== 'plan');
  assert.deepEqual(real.map((o) => [o.operation, o.startedBy, o.outcome]), [
    ['restore', me, 'restored'],
    ['backup', me, 'full'],
  ]);
  assert.ok(operations.some((o) => o.operation === 'plan'), 'the restore’s dry run (its plan) is in the trail too');
  assert.match(real[1]!.url, new RegExp(`/workflows/${encodeURIComponent(backup.workflowId)}/`));
});

test('a scheduled night and the backups it starts record the Schedule as StartedBy', { timeout: 300_000 }, async () => {
  const config = loadConfig(scene.configFile);
  const scheduleId = `${schedulePrefix(config)}backup1/vms`;
  try {
    await scene.cli('schedule', 'apply');
    const schedule = await client.schedule.getHandle(scheduleId).describe();
    assert.equal(schedule.action.type, 'startWorkflow');
    assert.equal(schedule.action.staticSummary, 'night of vms on backup1 (scheduled)');
    const { workflowId } = await scene.cli<{ workflowId: string }>('schedule', 'trigger', 'backup1/vms', '--wait');
    const night = await client.workflow.getHandle(workflowId).describe();
    assert.equal(night.typedSearchAttributes.get(StartedBy), scheduleId);
    assert.equal(await night.staticSummary(), 'night of vms on backup1 (scheduled)');
    const [child] = await findWorkflows(client, `VmId = "${scene.vm}" AND StartedBy = "${scheduleId}" AND Operation = "backup"`);
    assert.ok(child, 'the night’s backup of the VM inherits the Schedule as StartedBy');
    const backup = await client.workflow.getHandle(child.workflowId, child.runId).describe();
    assert.equal(backup.typedSearchAttributes.get(VmName), scene.name);
    assert.equal(await backup.staticSummary(), `backup ${scene.name} (project p-demo) on backup1`);
  } finally {
    await deleteSchedules(client, config);
  }
});
