// The JSON Schema of the config file, generated from the zod schema, for
// editors (config/vmbackup.schema.json, named by a `# yaml-language-server:
// $schema=` line in each config). The input side: a key with a default may be
// left out. Checks zod runs in code (a regex that could stall, a duplicate
// host, an assignment to an unknown host) have no JSON Schema form and are
// left to `vmbackup config check`. Draft-07: what yaml-language-server and
// most editors read.
import { z } from 'zod';
import { ConfigSchema } from './schema.ts';

/** Where the shipped schema lives, relative to the repository. */
export const CONFIG_JSON_SCHEMA_FILE = 'config/vmbackup.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }),
    title: 'vmbackup configuration',
    description: 'Generated from lib/config/schema.ts by `npm run docs:config`; do not edit. `vmbackup config check FILE` checks what this schema cannot.',
  };
}

/** The file's text, as the script writes it and the test compares it. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
