// `vmbackup config check`: what an operator sees for a good file, a YAML
// syntax error and a schema error (each at its line and column), and where
// every value comes from. Also: the JSON Schema shipped for editors is the one
// the zod schema generates, and the shipped configs pass it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from '../../lib/config/json-schema.ts';
import { tempFiles } from '../support/temp-files.ts';

const root = new URL('../../', import.meta.url).pathname;
const { dir, write } = tempFiles('vmbackup-config-check-');

const check = (...args: string[]) =>
  execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'config', 'check', ...args], { cwd: root, reject: false, env: { VMBACKUP_CONFIG: '' } });

const GOOD = `temporal:
  address: temporal.example.org:7233
hosts:
  - name: backup1
    backy2_config: /etc/backy2/backup1.cfg
    state_dir: state
workloads:
  vms:
    pool: eqiad1-compute
`;

test('a valid file: exit 0, every value with its line and column in the file, or the default', async () => {
  const file = write('good.yaml', GOOD);
  const r = await check(file);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${file}: valid \\(named on the command line\\), fingerprint [0-9a-f]{12}`));
  const row = (key: string) => r.stdout.split('\n').find((l) => l.startsWith(`${key} `))?.split(/\s{2,}/);
  assert.deepEqual(row('temporal.address'), ['temporal.address', 'temporal.example.org:7233', 'file 2:12']);
  assert.deepEqual(row('hosts[0].name'), ['hosts[0].name', 'backup1', 'file 4:11']);
  assert.deepEqual(row('hosts[0].state_dir'), ['hosts[0].state_dir', join(dir, 'state'), 'file 6:16'], 'a relative path is shown as the tools use it');
  assert.deepEqual(row('hosts[0].concurrency'), ['hosts[0].concurrency', '2', 'default']);
  assert.deepEqual(row('temporal.namespace'), ['temporal.namespace', 'default', 'default']);
});

test('-o json: the same origins, for scripts', async () => {
  const file = write('good.yaml', GOOD);
  const r = await check(file, '-o', 'json');
  assert.equal(r.exitCode, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { valid: boolean; values: Array<{ path: string; value: unknown; from: string; line?: number; column?: number }> };
  assert.equal(out.valid, true);
  assert.deepEqual(
    out.values.find((v) => v.path === 'workloads.vms.pool'),
    { path: 'workloads.vms.pool', value: 'eqiad1-compute', from: 'file', line: 9, column: 11 },
  );
  assert.deepEqual(
    out.values.find((v) => v.path === 'workloads.vms.live_for_days'),
    { path: 'workloads.vms.live_for_days', value: 8, from: 'default' },
  );
});

test('without FILE it checks the config every command would choose ($VMBACKUP_CONFIG here)', async () => {
  const file = write('chosen.yaml', GOOD);
  const r = await execa(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'config', 'check'], { cwd: root, reject: false, env: { VMBACKUP_CONFIG: file } });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${file}: valid \\(\\$VMBACKUP_CONFIG\\)`));
});

test('a YAML syntax error: exit 2, FILE:LINE:COL of the error', async () => {
  const file = write('syntax.yaml', GOOD.replace('    pool: eqiad1-compute', '    pool: [eqiad1-compute'));
  const r = await check(file);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, new RegExp(`^${file}:10:1: .*flow collection`, 'm'));
  assert.match(r.stderr, /invalid \(1 problem\)/);
  const tab = await check(write('tab.yaml', GOOD.replace('  address:', '\taddress:')));
  assert.equal(tab.exitCode, 2);
  assert.match(tab.stderr, /tab\.yaml:2:\d+: /);
});

test('schema errors: exit 2, each at its line and column with its key path', async () => {
  const text = GOOD.replace('    state_dir: state', '    stat_dir: state\n    concurrency: lots').replace('  address: temporal.example.org:7233', '  address: temporal.example.org:7233\n  colour: red');
  const file = write('schema.yaml', text);
  const r = await check(file);
  assert.equal(r.exitCode, 2);
  const lines = r.stderr.split('\n');
  assert.ok(lines.includes(`${file}:3:3: temporal.colour: unknown key "colour"`), r.stderr);
  assert.ok(lines.includes(`${file}:7:5: hosts[0].stat_dir: unknown key "stat_dir"`), r.stderr);
  assert.ok(lines.some((l) => l.startsWith(`${file}:8:18: hosts[0].concurrency: `) && /expected number/.test(l)), r.stderr);
  // A missing key is shown at the mapping that lacks it.
  assert.ok(lines.includes(`${file}:5:5: hosts[0].state_dir: missing: a required key (string)`), r.stderr);
  assert.match(r.stderr, /invalid \(4 problems\)/);
});

test('a check zod runs in code (duplicate host) is placed too', async () => {
  const file = write('dup.yaml', GOOD.replace('workloads:', '  - name: backup1\n    backy2_config: b\n    state_dir: s\nworkloads:'));
  const r = await check(file);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, new RegExp(`${file}:7:11: hosts\\[1\\]\\.name: duplicate host 'backup1'`));
});

test('an unreadable file: exit 2, named', async () => {
  const r = await check(join(dir, 'missing.yaml'));
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /missing\.yaml: cannot read/);
});

test('the shipped JSON Schema is the one generated from the zod schema (regenerate with `npm run docs:config`)', () => {
  assert.equal(readFileSync(join(root, CONFIG_JSON_SCHEMA_FILE), 'utf8'), configJsonSchemaText());
});

test('every config in config/ names the JSON Schema for editors and passes it, and so does the example above', () => {
  const validate = new Ajv({ strict: false, validateFormats: false }).compile(configJsonSchema());
  const configs = readdirSync(join(root, 'config')).filter((f) => f.endsWith('.yaml') && f !== 'local-inventory.yaml');
  assert.deepEqual(configs.sort(), ['local-production.yaml', 'local.yaml']);
  for (const name of configs) {
    const text = readFileSync(join(root, 'config', name), 'utf8');
    assert.match(text, /^# yaml-language-server: \$schema=vmbackup\.schema\.json$/m, name);
    assert.ok(validate(yaml.load(text)), `${name}: ${JSON.stringify(validate.errors)}`);
  }
  assert.ok(validate(yaml.load(GOOD)));
  assert.equal(validate(yaml.load(GOOD.replace('state_dir: state', 'stat_dir: state'))), false, 'an unknown key is refused by the editor too');
});
