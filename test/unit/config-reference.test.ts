// The configuration reference in the docs is the one generated from the schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIG_REFERENCE_FILE, configReferenceMarkdown, withConfigReference } from '../../lib/config/reference.ts';

test(`${CONFIG_REFERENCE_FILE} carries the configuration reference generated from the zod schema`, () => {
  const page = readFileSync(new URL(`../../${CONFIG_REFERENCE_FILE}`, import.meta.url), 'utf8');
  assert.ok(page.includes(`<!-- config-reference:start -->\n${configReferenceMarkdown()}\n<!-- config-reference:end -->`), 'regenerate with `npm run docs:config`');
  assert.equal(withConfigReference(page), page);
});
