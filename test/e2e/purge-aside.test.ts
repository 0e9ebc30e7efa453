// Images a restore moved aside are removed once older than keep_aside_days,
// and nothing else is: not younger ones, not other images. Dates are given as
// input (--as-of), not waited for.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AsidePurgeResult } from '../../activities/aside-activities.ts';
import { vmbackupJson } from '../support/cli.ts';
import { removeDisk } from '../support/disks.ts';
import { config, POOL, rbd, uniqueVmId } from '../support/stack.ts';
import { startWorker, type WorkerProcess } from '../support/workers.ts';

const vm = uniqueVmId('aside');
const disk = `${vm}_disk`;
const old = `${disk}.vmbackup-aside-20261101T120000`;
const young = `${disk}.vmbackup-aside-20261109T120000`;
const lookalike = `${disk}.vmbackup-aside-notadate`;
let worker: WorkerProcess;

before(async () => {
  worker = await startWorker(config.hosts[0]!.name);
  for (const image of [disk, old, young, lookalike]) await rbd('create', '--size', '4M', `${POOL}/${image}`);
  // A restored Glance image moved aside carries a protected snapshot.
  await rbd('snap', 'create', `${POOL}/${old}@snap`);
  await rbd('snap', 'protect', `${POOL}/${old}@snap`);
});
after(async () => {
  await worker?.stop();
  for (const image of [disk, old, young, lookalike]) await removeDisk(image);
});

const ours = async () => (await rbd('ls', POOL)).split('\n').filter((i) => i.startsWith(disk)).sort();

test('purge-aside removes only moved-aside images older than keep_aside_days; --dry-run removes nothing', async () => {
  assert.equal(config.restore.keep_aside_days, 3);
  const plan = await vmbackupJson<AsidePurgeResult>('purge-aside', '--as-of', '2026-11-10T00:00:00Z', '--dry-run');
  assert.ok(plan.removed.some((x) => x.image === old));
  assert.deepEqual(await ours(), [disk, old, young, lookalike].sort(), 'a dry run removes nothing');

  const r = await vmbackupJson<AsidePurgeResult>('purge-aside', '--as-of', '2026-11-10T00:00:00Z');
  assert.ok(r.removed.some((x) => x.image === old));
  assert.ok(r.kept.some((x) => x.image === young && /younger than 3 days/.test(x.reason)));
  assert.deepEqual(await ours(), [disk, young, lookalike].sort(), 'only the old moved-aside image went');
});
