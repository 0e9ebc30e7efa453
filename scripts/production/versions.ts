// scripts/production/versions.env for TypeScript: the production stack's
// versions, ports and TLS names, so tests compare temporal-docker/ and the
// local configs against the one file the stack scripts source.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VERSIONS_ENV = fileURLToPath(new URL('./versions.env', import.meta.url));

/** Every KEY=value line (comments and blank lines skipped); a line of another shape is an error. */
export function productionVersions(file = VERSIONS_ENV): Record<string, string> {
  const out: Record<string, string> = {};
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (/^\s*(#|$)/.test(line)) return;
      const m = /^([A-Z][A-Z0-9_]*)=([^\s'"$`]*)$/.exec(line);
      if (!m) throw new Error(`${file}:${i + 1}: expected KEY=value without quotes or expansions, got ${JSON.stringify(line)}`);
      out[m[1]!] = m[2]!;
    });
  return out;
}
