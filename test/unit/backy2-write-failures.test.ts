// backy2 2.9's dead writer threads, as it printed them when its data store
// filled up (seen on the real stack: exit 0, version marked valid).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandOutOfSpace, deadWriter, noSpaceLine } from '../../activities/engine/backy2-write-failures.ts';
import { CommandError } from '../../lib/errors.ts';

const FULL = `    INFO: Backed up 8/8 blocks (100.0%)
Exception in thread Thread-3 (_writer):
Traceback (most recent call last):
  File ".../backy2/data_backends/file.py", line 84, in _writer
FileNotFoundError: [Errno 2] No such file or directory: '/store/data/03/58/0358.blob'
    r = f.write(data)
OSError: [Errno 28] No space left on device    INFO: New version: 6fa45cfa-ee94-11f1-8c6e-02fc00000001 (Tags: [b_daily])
    INFO: Backy complete.`;

test('a writer thread that died of a full disk is found, and only its error is kept', () => {
  assert.equal(deadWriter(FULL), 'OSError: [Errno 28] No space left on device');
  assert.equal(noSpaceLine(FULL), 'OSError: [Errno 28] No space left on device');
});

test('a writer thread that died of something else is still a failure', () => {
  const other = 'Exception in thread Thread-1 (_writer):\nTraceback (most recent call last):\nPermissionError: [Errno 13] Permission denied: \'/store/x.blob\'\n    INFO: Backy complete.';
  assert.equal(deadWriter(other), "PermissionError: [Errno 13] Permission denied: '/store/x.blob'");
  assert.equal(noSpaceLine(other), undefined);
});

test('a clean run has no dead writer', () => {
  assert.equal(deadWriter('    INFO: Backed up 8/8 blocks (100.0%)\n    INFO: New version: 6fa45cfa-ee94-11f1-8c6e-02fc00000001\n'), undefined);
});

test('a failed command whose metadata database filled up is out of space; another failure is not', () => {
  const sqlite = new CommandError('`backy2 backup …` failed (exit 1): Backy failed.', ['backy2'], 1, 'sqlite3.OperationalError: database or disk is full\n    INFO: Backy failed.');
  assert.equal(commandOutOfSpace(sqlite), 'sqlite3.OperationalError: database or disk is full');
  assert.equal(commandOutOfSpace(new CommandError('failed (exit 1): rbd: error opening image', ['backy2'], 1, 'rbd: error opening image')), undefined);
  assert.equal(commandOutOfSpace(new Error('No space left on device')), undefined, 'only a command’s failure is classified here');
});
