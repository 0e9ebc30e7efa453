// Keep rules over a year of simulated nights. The versions are tagged by the
// backup activity's own rule (periodicTags over the valid versions made so far),
// so missed nights and a failed night move the weekly and monthly chains as they
// do in a real store; the expected sets are written out by date.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigSchema } from '../../lib/config/schema.ts';
import { expiryTag, periodicTags } from '../../lib/backup-tags.ts';
import { keptByRules, type KeepRules } from '../../lib/keep-policy.ts';
import { keepRulesOf } from '../../lib/operations/purge.ts';
import { listByDisk } from '../../lib/purge-listing.ts';
import { decidePurge, type PurgeCandidate, type PurgePolicy } from '../../lib/purge-policy.ts';

const MISSED = new Set(['2025-03-05', '2025-08-01', '2025-12-29']);
/** The backup failed: its version was left invalid, so the next night's tags do not count it. */
const FAILED = '2025-12-25';
/** A scrub marked it invalid at the end of the year, after later nights were tagged. */
const SCRUBBED = '2025-10-02';
const PROTECTED = new Set(['2025-02-14', '2025-12-30']);
const AS_OF = '2026-01-01T06:00:00.000Z';

/** 365 nights at 02:00 UTC, and a second (manual) backup on the last day at 14:00. */
function year(name = 'vm1_disk'): PurgeCandidate[] {
  const versions: PurgeCandidate[] = [];
  const times: string[] = [];
  for (let d = new Date('2025-01-01T02:00:00.000Z'); d.getUTCFullYear() === 2025; d = new Date(d.getTime() + 86_400_000)) {
    if (!MISSED.has(d.toISOString().slice(0, 10))) times.push(d.toISOString());
  }
  times.push('2025-12-31T14:00:00.000Z');
  for (const [i, date] of times.entries()) {
    const at = new Date(date);
    const earlier = versions.filter((v) => v.valid).map((v) => ({ date: new Date(v.date), tags: v.tags }));
    const day = date.slice(0, 10);
    versions.push({
      uid: `${name}-${String(i).padStart(4, '0')}`,
      name,
      date,
      valid: day !== FAILED,
      protected: PROTECTED.has(day) && date.endsWith('02:00:00.000Z'),
      tags: ['differential_backup', ...periodicTags(at, earlier), expiryTag(at, 8)],
    });
  }
  for (const v of versions) if (v.date.startsWith(SCRUBBED)) v.valid = false;
  return versions;
}

/** Verdict per version, keyed by `MM-DD` (`MM-DDTHH` for the 14:00 one): the rule text, the guard, or `remove`. */
function verdicts(keep: KeepRules, minAgeDays = 3, versions = year()): Record<string, string> {
  const policy: PurgePolicy = { asOf: AS_OF, minAgeDays, liveForDays: { vms: 8 }, keep: { vms: keep } };
  const d = decidePurge(versions, policy);
  const key = (date: string) => (date.endsWith('T02:00:00.000Z') ? date.slice(5, 10) : date.slice(5, 13));
  return Object.fromEntries([...d.keep.map((v) => [key(v.date), v.rule ?? v.reason]), ...d.remove.map((v) => [key(v.date), 'remove'])]);
}
const kept = (v: Record<string, string>) => Object.fromEntries(Object.entries(v).filter(([, r]) => r !== 'remove'));
const rules = (r: Partial<KeepRules>): KeepRules => ({ last: 0, daily: 0, weekly: 0, monthly: 0, ...r });

test('the simulated year is tagged as a real store would be: missed nights and a failed one move the chains', () => {
  const v = year();
  const tagged = (tag: string) => v.filter((x) => x.tags.includes(tag) && x.valid).map((x) => x.date.slice(5, 10));
  assert.equal(v.length, 365 - MISSED.size + 1);
  // Monthly: the 1st until August 1st was missed, then the 2nd (a calendar month after the last); October's is scrubbed.
  assert.deepEqual(tagged('b_monthly'), ['01-01', '02-01', '03-01', '04-01', '05-01', '06-01', '07-01', '08-02', '09-02', '11-02', '12-02']);
  // Weekly: every 7 days from Jan 1, a day later from the missed Mar 5, and a day later again after the failed Dec 25.
  assert.deepEqual(tagged('b_weekly').slice(-4), ['12-04', '12-11', '12-18', '12-26']);
  assert.ok(tagged('b_weekly').includes('03-06') && !tagged('b_weekly').includes('03-05'));
  assert.ok(!v.find((x) => x.date === '2025-12-31T14:00:00.000Z')!.tags.includes('b_daily'), 'a second backup the same day is not a daily one');
});

test('keep last 3: the three newest valid unprotected versions; protected ones stay outside the count', () => {
  assert.deepEqual(kept(verdicts(rules({ last: 3 }))), {
    '02-14': 'protected',
    '12-25': 'not-expired', // invalid: no slot, judged by its expiry (Jan 2) as before
    '12-28': 'keep-last 3/3',
    '12-30': 'protected',
    '12-31': 'keep-last 2/3',
    '12-31T14': 'keep-last 1/3',
  });
});

test('keep daily 7, weekly 4, monthly 12: each rule counts only what the rules before it left, newest first', () => {
  const v = verdicts(rules({ daily: 7, weekly: 4, monthly: 12 }));
  assert.deepEqual(kept(v), {
    '12-31T14': 'newest-valid', // no b_daily tag (the second of its day), so no daily slot: the guard keeps it
    '12-31': 'keep-daily 1/7',
    '12-30': 'protected',
    '12-28': 'keep-daily 2/7',
    '12-27': 'keep-daily 3/7',
    '12-26': 'keep-daily 4/7',
    '12-25': 'not-expired',
    '12-24': 'keep-daily 5/7',
    '12-23': 'keep-daily 6/7',
    '12-22': 'keep-daily 7/7',
    // 12-26 is the newest weekly but already a daily: the weekly slots go further back.
    '12-18': 'keep-weekly 1/4',
    '12-11': 'keep-weekly 2/4',
    '12-04': 'keep-weekly 3/4',
    '11-27': 'keep-weekly 4/4',
    '12-02': 'keep-monthly 1/12',
    '11-02': 'keep-monthly 2/12',
    // 10-02 is invalid (scrubbed) and expired: it goes, and the slots run on to older months.
    '09-02': 'keep-monthly 3/12',
    '08-02': 'keep-monthly 4/12',
    '07-01': 'keep-monthly 5/12',
    '06-01': 'keep-monthly 6/12',
    '05-01': 'keep-monthly 7/12',
    '04-01': 'keep-monthly 8/12',
    '03-01': 'keep-monthly 9/12',
    '02-01': 'keep-monthly 10/12',
    '01-01': 'keep-monthly 11/12',
    '02-14': 'protected',
  });
  assert.equal(v['10-02'], 'remove');
  assert.equal(Object.values(v).filter((r) => r === 'remove').length, 365 - 3 + 1 - Object.keys(kept(v)).length);
});

test('keep last 1, monthly 3, with min_age_days 3 and 10: the guards keep what the rules do not', () => {
  assert.deepEqual(kept(verdicts(rules({ last: 1, monthly: 3 }))), {
    '02-14': 'protected',
    '09-02': 'keep-monthly 3/3',
    '11-02': 'keep-monthly 2/3',
    '12-02': 'keep-monthly 1/3',
    '12-25': 'not-expired',
    '12-30': 'protected',
    '12-31': 'too-young',
    '12-31T14': 'keep-last 1/1',
  });
  const older = kept(verdicts(rules({ last: 1, monthly: 3 }), 10));
  assert.deepEqual(
    Object.keys(older).filter((k) => older[k] === 'too-young'),
    ['12-23', '12-24', '12-25', '12-26', '12-27', '12-28', '12-31'],
  );
});

test('keep monthly only: the newest valid version stays as newest-valid; everything else beyond the rule goes', () => {
  const v = verdicts(rules({ monthly: 2 }), 0);
  assert.deepEqual(kept(v), { '02-14': 'protected', '11-02': 'keep-monthly 2/2', '12-02': 'keep-monthly 1/2', '12-25': 'not-expired', '12-30': 'protected', '12-31T14': 'newest-valid' });
});

test('a removal under keep rules names the rules, and an expiry it no longer honours', () => {
  const d = decidePurge(year(), { asOf: AS_OF, minAgeDays: 3, liveForDays: { vms: 8 }, keep: { vms: rules({ last: 2 }) } });
  const reason = (day: string) => d.remove.find((v) => v.date.startsWith(day))?.reason;
  assert.equal(reason('2025-12-28'), 'beyond keep rules (last 2), before its expiry');
  assert.equal(d.remove.find((v) => v.date.startsWith('2025-12-28'))?.expires, '2026-01-05');
  assert.equal(reason('2025-06-01'), 'beyond keep rules (last 2)');
  assert.equal(reason('2025-10-02'), 'expired 2025-10-10 (tag expires_2025-10-10)', 'the invalid one goes by its expiry');
});

test('keep rules apply to their workload only; the others go by expiry as before', () => {
  const vm = year('vm1_disk');
  const vol = year('volume-a1');
  const d = decidePurge([...vm, ...vol], { asOf: AS_OF, minAgeDays: 3, liveForDays: { vms: 8, volumes: 8 }, keep: { vms: rules({ last: 2 }) } });
  const keptOf = (name: string) => d.keep.filter((v) => v.name === name).map((v) => v.rule ?? v.reason);
  assert.deepEqual(keptOf('vm1_disk').sort(), ['keep-last 1/2', 'keep-last 2/2', 'not-expired', 'protected', 'protected']);
  // Expiry (made + 8 days, over at the end of that day) keeps 12-24 … 12-28 (12-25 the invalid one); the guards the rest.
  const volKept = d.keep.filter((v) => v.name === 'volume-a1').map((v) => `${v.date.slice(5, 13)} ${v.reason}`);
  assert.deepEqual(volKept.sort(), [
    '02-14T02 protected',
    '12-24T02 not-expired',
    '12-25T02 not-expired',
    '12-26T02 not-expired',
    '12-27T02 not-expired',
    '12-28T02 not-expired',
    '12-30T02 protected',
    '12-31T02 too-young',
    '12-31T14 newest-valid',
  ]);
});

test('rules alone: each version is kept by its first rule; N slots hold N versions where there are enough', () => {
  const v = year().filter((x) => x.valid && !x.protected);
  for (const r of [rules({ last: 5 }), rules({ daily: 30, weekly: 10, monthly: 6 }), rules({ last: 400 }), rules({ weekly: 60 })]) {
    const k = keptByRules(v, r);
    const byRule = (rule: string) => [...k.values()].filter((x) => x.rule === rule).length;
    assert.equal(byRule('last'), Math.min(r.last, v.length));
    const slots = [...k.values()].map((x) => `${x.rule} ${x.slot}`);
    assert.equal(new Set(slots).size, slots.length, 'no slot twice');
  }
  assert.equal(keptByRules(v, rules({ weekly: 60 })).size, v.filter((x) => x.tags.includes('b_weekly')).length, 'more slots than weeks: every weekly, no more');
});

test('the dry-run listing: whole disks in name order up to the budget, newest first; named disks only; unknown names reported', () => {
  const d = decidePurge([...year('b_disk'), ...year('a_disk'), ...year('c_disk')], { asOf: AS_OF, minAgeDays: 3, liveForDays: { vms: 8 }, keep: { vms: rules({ last: 3 }) } });
  const all = listByDisk(d, undefined, 800);
  assert.deepEqual(all.disks.map((x) => x.name), ['a_disk', 'b_disk']);
  assert.equal(all.disksOmitted, 1);
  assert.equal(all.versionsOmitted, 363);
  assert.deepEqual(all.disks[0]!.versions[0], { uid: 'a_disk-0362', date: '2025-12-31T14:00:00.000Z', keep: 'keep-last 1/3' });
  assert.match(all.disks[0]!.versions.at(-1)!.remove!, /^beyond keep rules \(last 3\)/);
  const one = listByDisk(d, ['c_disk', 'nope_disk']);
  assert.deepEqual(one.disks.map((x) => x.name), ['c_disk']);
  assert.deepEqual(one.notFound, ['nope_disk']);
});

test('config: keep is validated (integers ≥ 0, known rules, at least one above 0) and passed on only where set', () => {
  const base = { hosts: [{ name: 'backup1', backy2_config: 'b.cfg', state_dir: '/s' }] };
  const parse = (keep: unknown) => ConfigSchema.safeParse({ ...base, workloads: { vms: { pool: 'rbd', keep } } });
  const ok = parse({ daily: 7, monthly: 12 });
  assert.ok(ok.success);
  assert.deepEqual(ok.data.workloads.vms.keep, { last: 0, daily: 7, weekly: 0, monthly: 12 });
  for (const bad of [{ daily: -1 }, { daily: 1.5 }, { yearly: 2 }, {}, { last: 0, daily: 0 }]) {
    const r = parse(bad);
    assert.ok(!r.success, JSON.stringify(bad));
    assert.ok(r.error.issues.every((i) => i.path.slice(0, 3).join('.') === 'workloads.vms.keep'), JSON.stringify(r.error.issues));
  }
  assert.match(JSON.stringify(parse({}).error?.issues), /keeps nothing/);
  assert.deepEqual(keepRulesOf({ vms: { keep: ok.data.workloads.vms.keep }, volumes: {} }), { keep: { vms: { last: 0, daily: 7, weekly: 0, monthly: 12 } } });
  assert.deepEqual(keepRulesOf({ vms: {} }), {}, 'no rules: the purge input (and the Schedule) is as before');
});
