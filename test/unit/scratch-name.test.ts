// The restore drill's scratch image can never be a disk: not a Nova, Cinder
// or Glance name, never in the Glance pool, one per host and version.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diskIdFromImage } from '../../lib/naming.ts';
import { checkScratchPool, isScratchImage, scratchImageName } from '../../lib/verify/scratch.ts';

const UID = '5e02ce2c-ee95-11f1-8c6e-02fc00000001';

test('a scratch name is per host and version, and no workload reads it as a disk of the VM or volume pools', () => {
  const name = scratchImageName('backup1', UID);
  assert.equal(name, `vmbackup-drill-backup1-${UID}`);
  assert.notEqual(name, scratchImageName('backup2', UID));
  assert.equal(diskIdFromImage('vms', name), undefined);
  assert.equal(diskIdFromImage('volumes', name), undefined);
  assert.ok(isScratchImage(name));
  assert.ok(!isScratchImage(`${UID}_disk`));
});

test('names that are not a host or a version uid are refused before they reach rbd', () => {
  assert.throws(() => scratchImageName('backup1', '../x'));
  assert.throws(() => scratchImageName('Backup1;rm', UID));
});

test('the Glance pool is refused: any name there is an image', () => {
  assert.throws(() => checkScratchPool('images', 'images'), /Glance images pool/);
  assert.doesNotThrow(() => checkScratchPool('rbd', 'images'));
  assert.doesNotThrow(() => checkScratchPool('rbd', undefined));
});
