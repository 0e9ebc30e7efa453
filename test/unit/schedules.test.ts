// The Schedules a config asks for: one per host and configured time, ids
// scoped by the task queue, and a fingerprint that changes with the config.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigSchema } from '../../lib/config/schema.ts';
import { desiredSchedules } from '../../lib/schedules.ts';

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
