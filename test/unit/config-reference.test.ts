// The README's configuration reference is the one generated from the schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configReferenceMarkdown } from '../../lib/config/reference.ts';

test('README carries the configuration reference generated from the zod schema', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const between = /<!-- config-reference:start -->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(readme);
  assert.ok(between, 'README has the config-reference markers');
  assert.equal(between[1], configReferenceMarkdown(), 'regenerate with `npm run docs:config`');
});
