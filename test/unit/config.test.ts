// The config loader refuses bad files with an error that names the file, the
// key path and what was expected, and resolves paths relative to the file.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { configFingerprint } from '../../lib/config/fingerprint.ts';
import { loadConfig, LOCAL_CONFIG } from '../../lib/config/load.ts';
import { ConfigError } from '../../lib/errors.ts';
import { tempFiles } from '../support/temp-files.ts';

const { dir, write } = tempFiles('vmbackup-config-');

const GOOD = `
hosts:
  - name: backup1
    backy2_config: backy2/backup1.cfg
    state_dir: /var/lib/vmbackup/backup1
workloads:
  vms:
    pool: eqiad1-compute
`;

function refusal(text: string): string {
  const file = write(`c${Math.random()}.yaml`, text);
  try {
    loadConfig(file);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.ok(err.message.startsWith(file), `the error names the file: ${err.message}`);
    return err.message;
  }
  assert.fail('the config was accepted');
}

test('a minimal config gets defaults and paths relative to the file', () => {
  const config = loadConfig(write('good.yaml', GOOD));
  assert.equal(config.temporal.address, '127.0.0.1:7233');
  assert.equal(config.workloads.vms.live_for_days, 8);
  assert.equal(config.hosts[0]!.backy2_config, join(dir, 'backy2/backup1.cfg'));
  assert.equal(config.hosts[0]!.concurrency, 2);
  assert.equal(config.engine.bin, 'backy2', 'a bare command stays a PATH lookup');
});

test('the embedded local config is valid', () => {
  assert.equal(loadConfig(LOCAL_CONFIG).hosts.length, 2);
});

test('an unknown key is refused with its path', () => {
  const msg = refusal(GOOD.replace('    state_dir:', '    stat_dir: x\n    state_dir:'));
  assert.match(msg, /Unrecognized key: "stat_dir"/);
  assert.match(msg, /at hosts\[0\]/);
});

test('a wrong type is refused with its path and what was expected', () => {
  const msg = refusal(`${GOOD}    live_for_days: eight\n`);
  assert.match(msg, /expected number, received string/);
  assert.match(msg, /at workloads\.vms\.live_for_days/);
});

test('a duplicate host is refused', () => {
  const msg = refusal(GOOD.replace('workloads:', '  - name: backup1\n    backy2_config: b\n    state_dir: s\nworkloads:'));
  assert.match(msg, /duplicate host 'backup1'/);
  assert.match(msg, /at hosts\[1\]\.name/);
});

test('a pool name with shell metacharacters is refused', () => {
  const msg = refusal(GOOD.replace('eqiad1-compute', '"x; rm -rf /"'));
  assert.match(msg, /at workloads\.vms\.pool/);
});

test('an unreadable file and broken YAML are refused clearly', () => {
  assert.throws(() => loadConfig(join(dir, 'missing.yaml')), /missing\.yaml: cannot read/);
  assert.throws(() => loadConfig(write('broken.yaml', 'hosts: [')), /broken\.yaml: not valid YAML/);
});

test('an exclusion that is not a valid regex is refused, naming the key and the regex', () => {
  const msg = refusal(`${GOOD}exclude:\n  servers:\n    projects:\n      tools: ['k8s-worker-[0-9+']\n`);
  assert.match(msg, /a valid regular expression, got "k8s-worker-\[0-9\+"/);
  assert.match(msg, /at exclude\.servers\.projects\.tools\[0\]/);
});

test('a project assigned to an unknown host is refused, listing the known ones', () => {
  const msg = refusal(`${GOOD}project_assignments:\n  default: backup1\n  projects:\n    tools: backup9\n`);
  assert.match(msg, /unknown host 'backup9' \(known: backup1; or 'ignore'\)/);
  assert.match(msg, /at project_assignments\.projects\.tools/);
});

test('a negative lifespan or minimum age is refused', () => {
  assert.match(refusal(GOOD.replace('pool: eqiad1-compute', 'pool: eqiad1-compute\n    live_for_days: -2')), /at workloads\.vms\.live_for_days/);
  assert.match(refusal(`${GOOD}purge:\n  min_age_days: -1\n`), /at purge\.min_age_days/);
});

test('a schedule with a bad time or time zone is refused', () => {
  const withSchedule = (s: string) => GOOD.replace('    state_dir: /var/lib/vmbackup/backup1', `    state_dir: /var/lib/vmbackup/backup1\n    schedule:\n${s}`);
  assert.match(refusal(withSchedule('      vms: "25:00"\n')), /a time of day HH:MM/);
  assert.match(refusal(withSchedule('      time_zone: Mars/Olympus\n      vms: "05:00"\n')), /an IANA time zone/);
  assert.match(refusal(withSchedule('      volumes: "19:00"\n')), /a volumes schedule needs workloads\.volumes/);
});

test('an exclusion regex that can backtrack catastrophically is refused, naming the file, the key path, the regex and why', () => {
  const exclude = (where: string, pattern: string) => `${GOOD}exclude:\n  ${where}\n`.replace('PATTERN', JSON.stringify(pattern));
  for (const [where, pattern, path, why] of [
    ['servers:\n    global: [PATTERN]', '(a+)+$', /at exclude\.servers\.global\[0\]/, /exponential backtracking/],
    ['volumes:\n    projects:\n      tools: [ok-.*, PATTERN]', '(a|aa)+', /at exclude\.volumes\.projects\.tools\[1\]/, /exponential backtracking/],
    ['servers:\n    projects:\n      p1: [PATTERN]', '(.*-){4}x', /at exclude\.servers\.projects\.p1\[0\]/, /4th degree polynomial backtracking/],
  ] as const) {
    const msg = refusal(exclude(where, pattern));
    assert.ok(msg.includes(`a regex that cannot stall the nightly job, got ${JSON.stringify(pattern)}`), msg);
    assert.match(msg, path);
    assert.match(msg, why);
    assert.match(msg, /a name like .*rewrite it/);
  }
});

test("the project's and the README's exclusion regexes are accepted, in well under a second", () => {
  const examples = ['cache[0-9]+', '.*-k8s-.*', 'scratch-.*', 'tmp-.*', '.*-k8s-worker-[0-9]+', 'ru-k.*', 'scratch', '(?!keep-).*-tmp'];
  const started = performance.now();
  const config = loadConfig(write('examples.yaml', `${GOOD}exclude:\n  servers:\n    global: ${JSON.stringify(examples)}\n`));
  assert.deepEqual(config.exclude.servers.global, examples);
  assert.deepEqual(loadConfig(LOCAL_CONFIG).exclude.servers.global, ['cache[0-9]+']);
  assert.ok(performance.now() - started < 3_000, `checked in ${performance.now() - started} ms`);
});

test('the fingerprint the CLI and the workers compare covers hosts, stores, pools, lifespans and the task queue, not where a client reaches Temporal', () => {
  const fingerprint = (text: string) => configFingerprint(loadConfig(write(`f${Math.random()}.yaml`, text)));
  const base = fingerprint(GOOD);
  assert.match(base, /^[0-9a-f]{12}$/);
  assert.equal(fingerprint(GOOD), base, 'the same config, the same fingerprint');
  for (const [what, text] of [
    ['a store path', GOOD.replace('backy2/backup1.cfg', 'backy2/other.cfg')],
    ['a state_dir', GOOD.replace('/var/lib/vmbackup/backup1', '/srv/backup1')],
    ['a pool', GOOD.replace('eqiad1-compute', 'other-pool')],
    ['a lifespan', `${GOOD}    live_for_days: 30\n`],
    ['keep rules', `${GOOD}    keep: { daily: 7 }\n`],
    ['the task queue', `${GOOD}temporal:\n  task_queue: other\n`],
  ]) assert.notEqual(fingerprint(text!), base, what);
  for (const [what, text] of [
    ['the Temporal address and Web UI', `${GOOD}temporal:\n  address: temporal.example:7233\n  web_ui: https://temporal.example\n`],
    ['a tool path', `${GOOD}engine:\n  bin: /opt/backy2/bin/backy2\n`],
    ['a host concurrency', GOOD.replace('    state_dir:', '    concurrency: 8\n    state_dir:')],
  ]) assert.equal(fingerprint(text!), base, what);
});
