// The backy2 engine reads versions and stats straight from SQLite for speed;
// this checks that those reads say exactly what backy2's own CLI says.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Backy2Engine } from '../../activities/engine/backy2.ts';
import { vmbackupJson } from '../support/cli.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { config, uniqueVmId } from '../support/stack.ts';
import { startWorker } from '../support/workers.ts';

const host = config.hosts[0]!;
const images: string[] = [];
after(async () => {
  for (const image of images) await removeDisk(image);
});

test('SQLite reads of versions and stats match `backy2 -m ls` and `backy2 -m stats`', async () => {
  const vm = uniqueVmId('meta');
  images.push(await createDisk(vm, 32 * MiB, 16 * MiB));
  const worker = await startWorker(host.name);
  try {
    await vmbackupJson('backup', vm, '--wait');
    await vmbackupJson('backup', vm, '--wait', '--again');
  } finally {
    await worker.stop();
  }
  const viaSql = new Backy2Engine({ bin: config.engine.bin, configFile: host.backy2_config });
  const viaCli = new Backy2Engine({ bin: config.engine.bin, configFile: host.backy2_config, metadata: 'cli' });
  const name = `${vm}_disk`;
  const fromSql = await viaSql.listVersions(name);
  const fromCli = await viaCli.listVersions(name);
  assert.equal(fromSql.length, 2);
  assert.deepEqual(
    fromSql.map((v) => ({ ...v, tags: [...v.tags].sort() })),
    fromCli.map((v) => ({ ...v, tags: [...v.tags].sort() })),
  );
  for (const v of fromSql) assert.deepEqual(await viaSql.stats(v.uid), await viaCli.stats(v.uid));
});
