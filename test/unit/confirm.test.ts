// The go-ahead of destructive commands (cli/confirm.ts) and the plan digest
// that ties --yes to the plan the dry run showed (lib/plan-digest.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confirmLine, consentOf, parsePlanToken, plansFor } from '../../cli/confirm.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { planDigest } from '../../lib/plan-digest.ts';

const rules = { command: 'purge', action: 'removes backup versions', planRequired: true, interactive: false };

test('off a terminal, neither --dry-run nor --yes is refused, saying what to run; both at once too', () => {
  assert.throws(
    () => consentOf({}, rules),
    (e: unknown) => e instanceof InvalidInputError && /needs --dry-run or --yes off a terminal; nothing was started/.test(e.message) && /--yes --plan TOKEN/.test(e.hint ?? ''),
  );
  assert.throws(() => consentOf({ dryRun: true, yes: true }, rules), InvalidInputError);
  assert.deepEqual(consentOf({ dryRun: true }, rules), { kind: 'dry-run' });
  assert.deepEqual(consentOf({}, { ...rules, interactive: true }), { kind: 'ask' });
});

test('--yes needs the plan the dry run printed; --plan without --yes is refused', () => {
  assert.throws(() => consentOf({ yes: true }, rules), (e: unknown) => e instanceof InvalidInputError && /--yes needs --plan/.test(e.message));
  assert.throws(() => consentOf({ plan: 'backup1:0123456789' }, rules), InvalidInputError);
  assert.throws(() => consentOf({ yes: true, plan: 'backup1:xyz' }, rules), /is not a plan/);
  const consent = consentOf({ yes: true, plan: 'backup1:0123456789,backup2:abcdefabcd' }, rules);
  assert.equal(consent.kind, 'confirmed');
  assert.deepEqual(consent.kind === 'confirmed' && [...consent.plans!], [['backup1', '0123456789'], ['backup2', 'abcdefabcd']]);
  assert.deepEqual(consentOf({ yes: true }, { ...rules, planRequired: false }), { kind: 'confirmed' });
});

test('a plan must cover every host the run would touch', () => {
  const plans = parsePlanToken('backup1:0123456789');
  assert.deepEqual([...plansFor(['backup1'], plans)], [['backup1', '0123456789']]);
  assert.throws(() => plansFor(['backup1', 'backup2'], plans), /confirms nothing for host backup2/);
});

test('the digest: the same set in any order gives the same digest; another set, host or command another one', () => {
  const d = planDigest('purge', 'backup1', ['u2', 'u1']);
  assert.match(d, /^[0-9a-f]{10}$/);
  assert.equal(planDigest('purge', 'backup1', ['u1', 'u2']), d);
  assert.notEqual(planDigest('purge', 'backup1', ['u1', 'u2', 'u3']), d);
  assert.notEqual(planDigest('purge', 'backup1', ['u1']), d);
  assert.notEqual(planDigest('purge', 'backup2', ['u1', 'u2']), d);
  assert.notEqual(planDigest('remove-invalids', 'backup1', ['u1', 'u2']), d);
});

test('the line that confirms a dry run is the same command with --yes --plan', () => {
  assert.equal(
    confirmLine([{ host: 'backup1', planDigest: '0123456789' }], ['--config', '/etc/my cfg.yaml', 'purge', '--host', 'backup1', '--dry-run']),
    "vmbackup --config '/etc/my cfg.yaml' purge --host backup1 --yes --plan backup1:0123456789",
  );
});
