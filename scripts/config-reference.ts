// Regenerates what is derived from the zod config schema: the configuration
// reference in docs/configuration.md (between its markers) and the JSON Schema
// for editors, config/vmbackup.schema.json. Unit tests fail when either is stale
// (test/unit/config-reference.test.ts, test/unit/config-check.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchemaText } from '../lib/config/json-schema.ts';
import { CONFIG_REFERENCE_FILE, withConfigReference } from '../lib/config/reference.ts';

/** Writes `text` to `path` (relative to the repository) when it differs; says which. */
function update(path: string, text: string): void {
  const file = new URL(`../${path}`, import.meta.url);
  const before = readFileSync(file, 'utf8');
  if (before !== text) writeFileSync(file, text);
  console.log(`${path}: ${before === text ? 'up to date' : 'updated'}`);
}

update(CONFIG_REFERENCE_FILE, withConfigReference(readFileSync(new URL(`../${CONFIG_REFERENCE_FILE}`, import.meta.url), 'utf8')));
update(CONFIG_JSON_SCHEMA_FILE, configJsonSchemaText());
