// The Schedules a config asks for: one per host and configured time, ids
// scoped by the task queue, and a fingerprint that changes with the config.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigSchema } from '../../lib/config/schema.ts';
import { describeScheduleTime, desiredSchedules, parseScheduleTime } from '../../lib/schedules.ts';

const config = (schedule: Record<string, string>, extra: Record<string, unknown> = {}) =>
  ConfigSchema.parse({
    temporal: { task_queue: 'cloud1' },
    hosts: [
      { name: 'backup1', backy2_config: 'a', state_dir: 'b', schedule },
      { name: 'backup2', backy2_config: 'a', state_dir: 'b' },
    ],
    workloads: { vms: { pool: 'compute' }, images: { pool: 'glance', live_for_days: 7 } },
    ...extra,
  });

test('one Schedule per configured time, none for a host without times', () => {
  const all = desiredSchedules(config({ time_zone: 'Europe/Berlin', vms: '05:00', images: '13:30', purge: '03:15' }));
  assert.deepEqual(
    all.map((s) => [s.scheduleId, s.workflowType, s.hour, s.minute, s.timeZone]),
    [
      ['cloud1/backup1/vms', 'nightlyBackups', 5, 0, 'Europe/Berlin'],
      ['cloud1/backup1/images', 'nightlyBackups', 13, 30, 'Europe/Berlin'],
      ['cloud1/backup1/purge', 'purgeExpired', 3, 15, 'Europe/Berlin'],
    ],
  );
  assert.deepEqual(all[2]!.args[0], { host: 'backup1', minAgeDays: 3, liveForDays: { vms: 8, images: 7 }, dryRun: false });
});

test('the purge Schedule carries the keep rules of the workloads that have them, and changes with them', () => {
  const keep = { vms: { pool: 'compute', keep: { daily: 7, monthly: 12 } }, images: { pool: 'glance' } };
  const [purge] = desiredSchedules(config({ purge: '03:15' }, { workloads: keep }));
  assert.deepEqual(purge!.args[0], { host: 'backup1', minAgeDays: 3, liveForDays: { vms: 8, images: 8 }, keep: { vms: { last: 0, daily: 7, weekly: 0, monthly: 12 } }, dryRun: false });
  // `schedule apply` updates a Schedule whose fingerprint changed: new rules reach the nightly purge.
  const [without] = desiredSchedules(config({ purge: '03:15' }, { workloads: { ...keep, vms: { pool: 'compute' } } }));
  assert.notEqual(purge!.fingerprint, without!.fingerprint);
});

test('every scheduled run is bounded, so a night stuck on a dead host never makes the next ones skip', () => {
  assert.deepEqual(
    desiredSchedules(config({ vms: '05:00', purge: '03:15' })).map((s) => s.runLimit),
    ['20h', '20h'],
  );
  assert.deepEqual(
    desiredSchedules(config({ vms: '05:00' }, { schedules: { run_limit_hours: 6 } })).map((s) => s.runLimit),
    ['6h'],
  );
  assert.equal(config({}).schedules.pause_on_failure, false, 'one failed night does not pause the next ones');
});

test('the fingerprint changes when the time or a purge setting does, and only then', () => {
  const fp = (s: Record<string, string>, extra?: Record<string, unknown>) => desiredSchedules(config(s, extra)).map((d) => d.fingerprint);
  assert.deepEqual(fp({ vms: '05:00' }), fp({ vms: '05:00' }));
  assert.notDeepEqual(fp({ vms: '05:00' }), fp({ vms: '05:01' }));
  assert.notDeepEqual(fp({ purge: '05:00' }), fp({ purge: '05:00' }, { purge: { min_age_days: 5 } }));
});

test('verify runs daily and the drill weekly on a weekday, each with its own id, workflow and inputs', () => {
  const all = desiredSchedules(config({ verify: '01:30', drill: 'Sun 06:00' }, { verify: { scrub_every_nights: 5, deep_sample: 3 }, drill: { sample: 4 } }));
  assert.deepEqual(
    all.map((s) => [s.scheduleId, s.workflowType, s.workflowId, s.hour, s.minute, s.dayOfWeek]),
    [
      ['cloud1/backup1/verify', 'verifyBackups', 'verify/backup1', 1, 30, undefined],
      ['cloud1/backup1/drill', 'restoreDrill', 'drill/backup1', 6, 0, 'SUNDAY'],
    ],
  );
  assert.deepEqual(all[0]!.args[0], { host: 'backup1', scrubEveryNights: 5, deepSample: 3 });
  assert.deepEqual(all[1]!.args[0], { host: 'backup1', sample: 4, scratchPool: 'compute' }, 'scratch images go to the VM pool unless drill.pool says otherwise');
  assert.deepEqual(
    all.map((s) => s.searchAttributes.map((a) => a.value)),
    [
      ['verify', 'backup1', 'cloud1/backup1/verify'],
      ['drill', 'backup1', 'cloud1/backup1/drill'],
    ],
    'a scheduled run records its Schedule as StartedBy',
  );
  assert.deepEqual(all.map((s) => s.staticSummary), ['verify on backup1 (scheduled)', 'restore drill on backup1 (scheduled)']);
});

test('a schedule time is HH:MM (daily) or a weekday and HH:MM (weekly); anything else is refused by the config', () => {
  assert.deepEqual(parseScheduleTime('06:05'), { hour: 6, minute: 5 });
  assert.deepEqual(parseScheduleTime('Wed 23:59'), { hour: 23, minute: 59, dayOfWeek: 'WEDNESDAY' });
  assert.equal(describeScheduleTime({ ...parseScheduleTime('Sun 06:00'), timeZone: 'UTC' }), 'Sun 06:00 UTC');
  assert.equal(describeScheduleTime({ ...parseScheduleTime('06:00'), timeZone: 'UTC' }), 'daily 06:00 UTC');
  for (const bad of ['Sunday 06:00', 'sun 06:00', '6:00', 'Sun 24:00', 'Sun06:00']) {
    assert.throws(() => parseScheduleTime(bad), /not a schedule time/);
    assert.throws(() => config({ drill: bad }), /weekday and time/, bad);
  }
  assert.throws(() => config({ verify: 'Sun 06:00' }), /HH:MM/, 'verify is daily: its share is per night');
});

test('the fingerprint changes with the drill weekday and the verify share', () => {
  const fp = (s: Record<string, string>, extra?: Record<string, unknown>) => desiredSchedules(config(s, extra)).map((d) => d.fingerprint);
  assert.notDeepEqual(fp({ drill: 'Sun 06:00' }), fp({ drill: 'Mon 06:00' }));
  assert.notDeepEqual(fp({ drill: 'Sun 06:00' }), fp({ drill: '06:00' }));
  assert.notDeepEqual(fp({ verify: '01:00' }), fp({ verify: '01:00' }, { verify: { scrub_every_nights: 3 } }));
});
