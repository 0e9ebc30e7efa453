// The audit trail as an auditor reads it: the dev server's real Web UI in real
// headless Chromium (Debian's `chromium`, driven by playwright-core). A night
// backs up a named VM, an operator restores it from the CLI; the Web UI's list,
// filtered by VmId and by StartedBy, shows both, and each one's page, the
// night's too, reads its summary. Screenshots go to a temporary folder, or to
// docs/screenshots/ with VMBACKUP_SCREENSHOTS=docs (committed for docs/audit.md).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { type Browser, chromium, type Page } from 'playwright-core';
import { operatorIdentity } from '../../lib/audit/identity.ts';
import type { NightlySummary } from '../../lib/operations/nightly.ts';
import type { RestoreResult } from '../../lib/operations/restore.ts';
import { auditScene } from '../support/audit-scene.ts';
import { ROOT } from '../support/stack.ts';
import { connectClient, findWorkflows } from '../support/temporal.ts';

const UI = 'http://127.0.0.1:8233/namespaces/default';
const SHOTS = process.env.VMBACKUP_SCREENSHOTS === 'docs' ? join(ROOT, 'docs/screenshots') : mkdtempSync(join(tmpdir(), 'vmbackup-ui-'));

let scene: Awaited<ReturnType<typeof auditScene>>;
let client: Client;
let browser: Browser;

before(async () => {
  scene = await auditScene('ui');
  client = await connectClient();
  // As root (the test machines are), Chromium needs --no-sandbox.
  browser = await chromium.launch({ executablePath: process.env.VMBACKUP_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await scene?.cleanup();
  await client?.connection.close();
});

/** The Workflows list filtered by a visibility query, as an auditor's bookmarked URL opens it. */
async function list(page: Page, query: string): Promise<void> {
  await page.goto(`${UI}/workflows?query=${encodeURIComponent(query)}`);
}

/** A workflow's User Metadata tab: its summary, rendered by the UI in a frame. */
async function summaryOf(page: Page, workflowId: string, runId: string, summary: string, shot: string): Promise<void> {
  await page.goto(`${UI}/workflows/${encodeURIComponent(workflowId)}/${runId}/user-metadata`);
  await page.frameLocator('iframe[src*="/render?content="]').first().getByText(summary, { exact: true }).waitFor();
  await page.screenshot({ path: join(SHOTS, shot) });
}

test('the Web UI lists a VM’s backup and restore by VmId and by StartedBy, with their summaries, and the night’s', { timeout: 600_000 }, async () => {
  const me = operatorIdentity();
  const [night] = await scene.cli<Array<NightlySummary & { workflowId: string }>>('run-nightly', '--host', 'backup1', '--wait');
  assert.equal(night!.counts.failed, 0);
  const version = night!.backedUp.find((d) => d.id === scene.vm)!.versionUid!;
  const restore = await scene.cli<RestoreResult>('restore', scene.vm, '--version', version, '--yes');
  const [backupRun] = await findWorkflows(client, `VmId = "${scene.vm}" AND Operation = "backup"`);
  const [restoreRun] = await findWorkflows(client, `VmId = "${scene.vm}" AND Operation = "restore"`);
  const nightRun = await client.workflow.getHandle(night!.workflowId).describe();

  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  // By disk: the night's backup of it, and the restore.
  await list(page, `VmId = "${scene.vm}"`);
  await page.getByRole('link', { name: backupRun!.workflowId, exact: true }).waitFor();
  await page.getByRole('link', { name: restoreRun!.workflowId, exact: true }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'list-by-vmid.png') });
  // By who: the operator's restore, and the backup of the night they started (children inherit StartedBy).
  await list(page, `StartedBy = "${me}" AND VmName = "${scene.name}"`);
  await page.getByRole('link', { name: restoreRun!.workflowId, exact: true }).waitFor();
  await page.getByRole('link', { name: backupRun!.workflowId, exact: true }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'list-by-startedby.png') });

  await summaryOf(page, backupRun!.workflowId, backupRun!.runId, `backup ${scene.name} (project p-demo) on backup1`, 'backup-summary.png');
  await summaryOf(page, restoreRun!.workflowId, restoreRun!.runId, `restore ${scene.name} (project p-demo) to ${restore.versionDate.slice(0, 10)} on backup1`, 'restore-summary.png');
  await summaryOf(page, night!.workflowId, nightRun.runId, 'night of vms on backup1', 'night-summary.png');
  // The night's page lists its children by their summaries: which VMs it backed up, by name.
  await page.getByText(`backup ${scene.name} (project p-demo) on backup1`, { exact: true }).waitFor();
  await page.close();
});
