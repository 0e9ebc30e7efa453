import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expiryFromTags, expiryTag, periodicTags } from '../../lib/backup-tags.ts';

const at = (iso: string) => new Date(iso);

test('the first backup of a disk gets b_daily, b_weekly and b_monthly (as in the runbook)', () => {
  assert.deepEqual(periodicTags(at('2020-08-19T01:37:12Z'), []), ['b_daily', 'b_weekly', 'b_monthly']);
});

test('a second backup on the same day gets no periodic tag; the next day gets b_daily only', () => {
  const earlier = [{ date: at('2020-08-19T01:37:12Z'), tags: ['b_daily', 'b_weekly', 'b_monthly'] }];
  assert.deepEqual(periodicTags(at('2020-08-19T02:00:51Z'), earlier), []);
  assert.deepEqual(periodicTags(at('2020-08-20T02:00:49Z'), earlier), ['b_daily']);
});

test('b_weekly after 7 days, b_monthly after a calendar month', () => {
  const earlier = [{ date: at('2020-08-19T01:00:00Z'), tags: ['b_daily', 'b_weekly', 'b_monthly'] }];
  assert.deepEqual(periodicTags(at('2020-08-25T01:00:00Z'), earlier), ['b_daily']);
  assert.deepEqual(periodicTags(at('2020-08-26T01:00:00Z'), earlier), ['b_daily', 'b_weekly']);
  assert.deepEqual(periodicTags(at('2020-09-18T01:00:00Z'), earlier), ['b_daily', 'b_weekly']);
  assert.deepEqual(periodicTags(at('2020-09-19T01:00:00Z'), earlier), ['b_daily', 'b_weekly', 'b_monthly']);
});

test('the lifespan is recorded as an expiry tag and read back', () => {
  const tag = expiryTag(at('2026-11-25T05:00:00Z'), 8);
  assert.equal(tag, 'expires_2026-12-03');
  assert.equal(expiryFromTags(['full_backup', tag]), '2026-12-03');
  assert.equal(expiryFromTags(['full_backup']), undefined);
});
