// A restore never interleaves with a running backup of the VM. (A restore whose
// worker is killed mid-copy is a case of fault-worker-kill.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { BackupResult } from '../../lib/operations/backup.ts';
import { vmbackup, vmbackupJson } from '../support/cli.ts';
import { changeBlocks, createDisk, exportToFile, MiB, removeDisk } from '../support/disks.ts';
import { useHoldPoints } from '../support/hold-points.ts';
import { sha256File, uniqueVmId } from '../support/stack.ts';
import { connectClient } from '../support/temporal.ts';
import { startWorker } from '../support/workers.ts';

const HOST = 'backup1';
const tmp = mkdtempSync(join(tmpdir(), 'vmbackup-rcrash-'));
const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

const hashOf = async (spec: string) => {
  const file = join(tmp, `${Date.now()}.img`);
  await exportToFile(spec, file);
  const h = await sha256File(file);
  rmSync(file);
  return h;
};

test('a restore while a backup of the same VM runs is refused, never interleaved', { timeout: 300_000 }, async () => {
  const vm = uniqueVmId('busy');
  const image = await createDisk(vm, 1024 * MiB);
  cleanup.push(() => removeDisk(image));
  // The backup is parked mid-way (it holds the disk) while the restore is tried: no race with a fast copy.
  const holds = useHoldPoints();
  cleanup.push(async () => holds.dispose());
  const worker = await startWorker(HOST);
  cleanup.push(() => worker.stop());
  const first = await vmbackupJson<BackupResult>('backup', vm, '--wait');
  await changeBlocks(image, 1024 * MiB, 64);
  const before = await hashOf(image);

  holds.arm('backup.before-copy', image);
  const running = await vmbackupJson<{ workflowId: string }>('backup', vm, '--again');
  await holds.held('backup.before-copy');
  const r = await vmbackup('restore', vm, '--version', first.versionUid!, '--yes');
  holds.release('backup.before-copy');
  assert.equal(r.exitCode, 5, r.stderr); // busy: nothing was changed
  assert.match(r.stderr, new RegExp(`VM ${vm} has a running operation: ${running.workflowId.replaceAll('/', '\\/')}`));
  const client = await connectClient();
  cleanup.push(() => client.connection.close());
  await client.workflow.getHandle(running.workflowId).result();
  assert.equal(await hashOf(image), before, 'the disk was not touched by the refused restore');
});
