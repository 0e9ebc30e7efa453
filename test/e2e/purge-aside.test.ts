// purge-aside removes an aside image only when the restore that made it
// completed (the restore marks it) and it is older than keep_aside_days, or
// when the operator names it; an image whose restore did not complete is the
// disk as it was, and stays. It needs --yes, and a future --as-of only looks
// (dry run). Dates are given as input (--as-of), not waited for; the marks are
// the rbd image-meta a restore writes (ASIDE_META).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AsidePurgeResult } from '../../activities/aside-activities.ts';
import { ASIDE_META } from '../../lib/operations/restore.ts';
import { vmbackup, vmbackupJson } from '../support/cli.ts';
import { removeDisk } from '../support/disks.ts';
import { config, POOL, rbd, uniqueVmId } from '../support/stack.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const vm = uniqueVmId('aside');
const disk = `${vm}_disk`;
const old = `${disk}.vmbackup-aside-20261101T120000`;
const young = `${disk}.vmbackup-aside-20261109T120000`;
const stranded = `${disk}.vmbackup-aside-20261102T120000`;
const legacy = `${disk}.vmbackup-aside-20261103T120000`;
const lookalike = `${disk}.vmbackup-aside-notadate`;
const all = [disk, old, young, stranded, legacy, lookalike];
let worker: WorkerProcess;

before(async () => {
  worker = await startWorker(config.hosts[0]!.name);
  for (const image of all) await rbd('create', '--size', '4M', `${POOL}/${image}`);
  // Moved aside by restores: two completed, one that never did (failed, killed), one before restores recorded anything.
  for (const image of [old, young, stranded]) await rbd('image-meta', 'set', `${POOL}/${image}`, ASIDE_META.restore, `restore/${vm}/${image.slice(-15)}`);
  for (const image of [old, young]) await rbd('image-meta', 'set', `${POOL}/${image}`, ASIDE_META.completed, '2026-11-01T12:05:00.000Z');
  // A restored Glance image moved aside carries a protected snapshot.
  await rbd('snap', 'create', `${POOL}/${old}@snap`);
  await rbd('snap', 'protect', `${POOL}/${old}@snap`);
});
after(async () => {
  await worker?.stop();
  for (const image of all) await removeDisk(image).catch(() => undefined);
});

const ours = async () => (await rbd('ls', POOL)).split('\n').filter((i) => i.startsWith(disk)).sort();
const AS_OF = '2026-11-10T00:00:00Z';

test('purge-aside removes only aside images whose restore completed and that are older than keep_aside_days; --dry-run removes nothing', async () => {
  assert.equal(config.restore.keep_aside_days, 3);
  const plan = await vmbackupJson<AsidePurgeResult>('purge-aside', '--as-of', AS_OF, '--dry-run');
  assert.deepEqual(plan.removed.map((x) => x.image).filter((i) => i.startsWith(disk)), [old]);
  assert.deepEqual(await ours(), [...all].sort(), 'a dry run removes nothing');

  const r = await vmbackupJson<AsidePurgeResult>('purge-aside', '--as-of', AS_OF, '--yes');
  assert.deepEqual(r.removed.map((x) => x.image).filter((i) => i.startsWith(disk)), [old]);
  const reason = (image: string) => r.kept.find((x) => x.image === image)?.reason ?? '';
  assert.match(reason(young), /younger than 3 days/);
  assert.match(reason(stranded), new RegExp(`its restore restore/${vm}/.* did not complete: put it back`));
  assert.match(reason(legacy), /no completed restore is recorded on it: name it to remove it/);
  assert.deepEqual(await ours(), [disk, young, stranded, legacy, lookalike].sort(), 'only the old image of a completed restore went');
});

test('purge-aside asks first, looks ahead only in a dry run, and removes a named image whatever its restore did', async () => {
  const before = await ours();
  const refused = [
    await vmbackup('purge-aside', '--as-of', AS_OF),
    await vmbackup('purge-aside', '--as-of', '2099-01-01T00:00:00Z', '--yes'),
    await vmbackup('purge-aside', '--image', `${disk}.vmbackup-aside-20200101T000000`, '--yes'),
  ];
  assert.deepEqual(
    refused.map((r) => r.exitCode),
    [2, 2, 3],
    refused.map((r) => r.stderr).join('\n'),
  );
  assert.match(refused[0]!.stderr, /needs --dry-run or --yes off a terminal; nothing was started/);
  assert.match(refused[1]!.stderr, /is in the future: only a --dry-run may look ahead; nothing was removed/);
  assert.deepEqual(await ours(), before, 'nothing changed');

  const ahead = await vmbackupJson<AsidePurgeResult>('purge-aside', '--as-of', '2099-01-01T00:00:00Z', '--dry-run');
  assert.ok(ahead.removed.some((x) => x.image === young), 'a dry run may look ahead');
  assert.ok(!ahead.removed.some((x) => x.image === stranded), 'the image of an incomplete restore is kept whatever the date');

  const r = await vmbackupJson<AsidePurgeResult>('purge-aside', '--as-of', AS_OF, '--image', legacy, '--yes');
  assert.ok(r.removed.some((x) => x.image === legacy));
  assert.deepEqual(await ours(), [disk, young, stranded, lookalike].sort(), 'the named image went, the stranded one stayed');
});
