// The worker's log lines: JSON as a service writes them, text for a dev
// worker, and which disk an activity's input names. That every activity line
// carries it through a real worker and Temporal is test/e2e/worker-logs.
import assert from 'node:assert/strict';
import { fstatSync } from 'node:fs';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { diskAttributes } from '../../workers/activity-log-attributes.ts';
import { createLogger, jsonLine, LogOptions, stderrIsJournal, stderrWriter, textLine } from '../../workers/logging.ts';

const at = 1_764_720_000_123_000_000n; // 2025-12-03T00:00:00.123Z

test('a JSON line: time, level, message, then the metadata flattened; reserved keys kept apart', () => {
  const line = JSON.parse(jsonLine({ level: 'INFO', message: 'hello', timestampNanos: at, meta: { workflowId: 'w1', activityType: 'a', message: 'not the message' } }));
  assert.deepEqual(line, { time: '2025-12-03T00:00:00.123Z', level: 'INFO', message: 'hello', workflowId: 'w1', activityType: 'a', 'meta.message': 'not the message' });
});

test('a JSON line keeps an error whole (type, stack, cause), bigints and cycles, on one line', () => {
  const cause = new Error('disk gone');
  const failure = ApplicationFailure.create({ message: 'backup failed', type: 'StoreFullError', nonRetryable: true, cause });
  const cyclic: Record<string, unknown> = { n: 1n };
  cyclic.self = cyclic;
  const text = jsonLine({ level: 'WARN', message: 'Activity failed\nsecond line', timestampNanos: at, meta: { error: failure, cyclic } });
  assert.equal(text.split('\n').length, 1, 'one line, whatever the message holds');
  const line = JSON.parse(text);
  assert.equal(line.error.message, 'backup failed');
  assert.equal(line.error.type, 'StoreFullError');
  assert.equal(line.error.nonRetryable, true);
  assert.match(line.error.stack, /backup failed/);
  assert.equal(line.error.cause.message, 'disk gone');
  assert.deepEqual(line.cyclic, { n: '1', self: '[circular]' });
});

test('a text line: readable, with key=value pairs and no sdkComponent noise', () => {
  assert.equal(
    textLine({ level: 'INFO', message: '$ rbd snap create', timestampNanos: at, meta: { sdkComponent: 'activity', disk: 'rbd/x_disk', note: 'two words' } }),
    '2025-12-03T00:00:00.123Z INFO  $ rbd snap create  disk=rbd/x_disk note="two words"',
  );
});

test('the logger filters by level and writes one line per entry', () => {
  const out: string[] = [];
  const logger = createLogger(LogOptions.parse({ level: 'WARN' }), (l) => out.push(l));
  logger.info('dropped');
  logger.warn('kept', { disk: 'rbd/a' });
  assert.equal(out.length, 1);
  assert.equal(JSON.parse(out[0]!).disk, 'rbd/a');
  assert.equal(LogOptions.safeParse({ format: 'xml' }).success, false);
  assert.deepEqual(LogOptions.parse({}), { level: 'INFO', format: 'json' }, 'a service logs JSON at INFO unless told otherwise');
});

test('diskAttributes: pool/image, a bare image, the vmId; nothing for host-wide inputs or a Glance image', () => {
  assert.deepEqual(diskAttributes('prepareBackup', [{ pool: 'rbd', image: 'vm1_disk', vmId: 'vm1', snapshot: 's' }]), { disk: 'rbd/vm1_disk', vmId: 'vm1' });
  assert.deepEqual(diskAttributes('drillVersion', [{ image: 'vm1_disk', uid: 'u' }]), { disk: 'vm1_disk' });
  assert.deepEqual(diskAttributes('stopServer', [{ vmId: 'vm1', waitSeconds: 5 }]), { vmId: 'vm1' });
  assert.deepEqual(diskAttributes('planPurge', [{ keepDays: 8 }]), {});
  assert.deepEqual(diskAttributes('runningRestores', []), {});
  assert.deepEqual(diskAttributes('createRescueServer', [{ image: 'debian-12', name: 'x' }]), {});
});

test('under journald (JOURNAL_STREAM names our stderr) a line carries its syslog priority; elsewhere it is bare', (t) => {
  const { dev, ino } = fstatSync(2);
  assert.equal(stderrIsJournal({ JOURNAL_STREAM: `${dev}:${ino}` }), true);
  assert.equal(stderrIsJournal({ JOURNAL_STREAM: '0:1' }), false, 'a stream inherited from a parent unit is not ours');
  assert.equal(stderrIsJournal({}), false);
  const written: string[] = [];
  t.mock.method(process.stderr, 'write', (chunk: string) => written.push(chunk));
  stderrWriter(true)('{"message":"x"}', 'WARN');
  stderrWriter(true)('{"message":"y"}', 'ERROR');
  stderrWriter(false)('{"message":"z"}', 'INFO');
  t.mock.restoreAll();
  assert.deepEqual(written, ['<4>{"message":"x"}\n', '<3>{"message":"y"}\n', '{"message":"z"}\n']);
});
