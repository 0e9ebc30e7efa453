// backy2's sanity check of a diff needs 5 blocks outside the hints; counted the
// way backy2 2.9 counts them (blocks_from_hints), read and sparse extents alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backy2BlockSize, blocksOutsideHints } from '../../activities/engine/backy2-hints.ts';

const MiB = 1024 * 1024;
const B = 4 * MiB;

test('blocks outside the hints, by backy2 arithmetic', () => {
  assert.equal(blocksOutsideHints([], 8 * MiB, B), 2, 'an 8 MiB disk has 2 blocks');
  assert.equal(blocksOutsideHints([{ offset: 0, length: 1 }], 8 * MiB, B), 1);
  // An extent straddling a block boundary covers both blocks; a partial last block is a block.
  assert.equal(blocksOutsideHints([{ offset: B - 1, length: 2 }], 10 * MiB, B), 1);
  assert.equal(blocksOutsideHints([{ offset: 0, length: B }, { offset: 5 * B, length: B }], 40 * MiB, B), 8);
});

test('block_size comes from the backy2 config, 4 MiB by default', () => {
  assert.equal(backy2BlockSize('[DEFAULTS]\nblock_size: 1048576\n'), MiB);
  assert.equal(backy2BlockSize('[DEFAULTS]\nlogfile: x\n'), B);
});
