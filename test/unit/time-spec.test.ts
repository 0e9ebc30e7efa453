// Every date and span option reads the same forms: what an operator types
// from a ticket, from `vmbackup ls` output, or as "three days ago".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../lib/errors.ts';
import { parseTimeSpec } from '../../lib/time-spec.ts';

const now = new Date('2026-11-25T12:34:56.000Z');
const at = (text: string, day: 'start' | 'end' = 'start') => parseTimeSpec(text, { option: '--at', now, day }).toISOString();

test('a day is its first instant, or its last where the option means "made on or before"', () => {
  assert.equal(at('2026-11-20'), '2026-11-20T00:00:00.000Z');
  assert.equal(at('2026-11-20', 'end'), '2026-11-20T23:59:59.999Z');
  assert.equal(at('2024-02-29'), '2024-02-29T00:00:00.000Z');
});

test('a time of day is UTC unless the text gives Z or an offset; a space works as the tables print it', () => {
  assert.equal(at('2026-11-20T10:00'), '2026-11-20T10:00:00.000Z');
  assert.equal(at('2026-11-20 10:00:30', 'end'), '2026-11-20T10:00:30.000Z');
  assert.equal(at('2026-11-20T10:00:00Z'), '2026-11-20T10:00:00.000Z');
  assert.equal(at('2026-11-20T10:00:00.250Z'), '2026-11-20T10:00:00.250Z');
  assert.equal(at('2026-11-20T10:00+01:00'), '2026-11-20T09:00:00.000Z');
  assert.equal(at('2026-11-20T10:00:00-0530'), '2026-11-20T15:30:00.000Z');
});

test('now, today, yesterday and spans ago', () => {
  assert.equal(at('now'), now.toISOString());
  assert.equal(at('today'), '2026-11-25T00:00:00.000Z');
  assert.equal(at('today', 'end'), '2026-11-25T23:59:59.999Z');
  assert.equal(at('Yesterday'), '2026-11-24T00:00:00.000Z');
  assert.equal(at('yesterday', 'end'), '2026-11-24T23:59:59.999Z');
  assert.equal(at('90m'), '2026-11-25T11:04:56.000Z');
  assert.equal(at('12h'), '2026-11-25T00:34:56.000Z');
  assert.equal(at('3d'), '2026-11-22T12:34:56.000Z');
  assert.equal(at('2w'), '2026-11-11T12:34:56.000Z');
});

test('impossible dates and unknown forms are refused, naming the option and the accepted forms', () => {
  for (const bad of ['2026-02-30', '2025-02-29', '2026-13-01', '2026-11-20T24:00', '2026-11-20T10:60', '2026-11-20T10:00+15:00', '', '24', '1y', '-1h', '20.11.2026', 'last week']) {
    assert.throws(
      () => parseTimeSpec(bad, { option: '--as-of', now, day: 'start' }),
      (err: unknown) => err instanceof InvalidInputError && err.message.startsWith(`--as-of '${bad}': `) && /accepted: 2026-11-20, 2026-11-20T10:00, .*3d, 2w$/.test(err.message),
      bad,
    );
  }
  assert.throws(() => at('2026-02-30'), /no such day/);
});
