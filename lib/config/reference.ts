// The configuration reference, generated from the zod schema so the docs
// cannot drift from what the loader accepts (test/unit/config-reference.test.ts).
import type { z } from 'zod';
import { ConfigSchema } from './schema.ts';

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

type AnyDef = { type: string; innerType?: z.ZodType; defaultValue?: unknown; element?: z.ZodType; shape?: Record<string, z.ZodType>; in?: z.ZodType; values?: unknown[]; entries?: Record<string, unknown>; checks?: unknown[] };

const def = (s: z.ZodType) => (s as unknown as { _zod: { def: AnyDef } })._zod.def;

function unwrap(schema: z.ZodType): { inner: z.ZodType; optional: boolean; defaultValue?: unknown; description?: string } {
  let s = schema;
  let optional = false;
  let defaultValue: unknown;
  let description = s.description;
  for (;;) {
    const d = def(s);
    if (d.type === 'optional') optional = true;
    else if (d.type === 'default' || d.type === 'prefault') defaultValue ??= typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
    else if (d.type === 'pipe') {
      s = d.in!;
      continue;
    } else break;
    s = d.innerType!;
    description ??= s.description;
  }
  return { inner: s, optional, defaultValue, description };
}

function typeName(s: z.ZodType): string {
  const d = def(s);
  switch (d.type) {
    case 'literal':
      return (d.values ?? []).map((v) => JSON.stringify(v)).join(' | ');
    case 'enum':
      return Object.values(d.entries ?? {}).map((v) => JSON.stringify(v)).join(' | ');
    case 'array':
      return `list of ${typeName(unwrap(d.element!).inner)}`;
    case 'object':
      return 'mapping';
    case 'record':
      return 'mapping';
    case 'number':
      // z.int() is a number with isInt set; its bounds (min, max) say nothing of integrality.
      return (s as unknown as { isInt?: boolean }).isInt ? 'integer' : 'number';
    default:
      return d.type;
  }
}

function walk(schema: z.ZodType, prefix: string, rows: Row[]): void {
  const { inner } = unwrap(schema);
  const d = def(inner);
  const shape = d.type === 'object' ? d.shape : d.type === 'array' && def(unwrap(d.element!).inner).type === 'object' ? def(unwrap(d.element!).inner).shape : undefined;
  if (!shape) return;
  const childPrefix = d.type === 'array' ? `${prefix}[]` : prefix;
  for (const [name, child] of Object.entries(shape)) {
    const key = childPrefix ? `${childPrefix}.${name}` : name;
    const u = unwrap(child);
    rows.push({
      key,
      type: typeName(u.inner),
      default: u.defaultValue !== undefined && typeof u.defaultValue !== 'object' ? String(u.defaultValue) : u.optional || u.defaultValue !== undefined ? '' : 'required',
      description: u.description ?? '',
    });
    walk(child, key, rows);
  }
}

export function configReferenceRows(): Row[] {
  const rows: Row[] = [];
  walk(ConfigSchema, '', rows);
  return rows;
}

/** The page that carries the reference between its markers. */
export const CONFIG_REFERENCE_FILE = 'docs/configuration.md';
const MARKERS = /(<!-- config-reference:start -->)[\s\S]*?(<!-- config-reference:end -->)/;

/** `page` with the generated reference between its markers (unchanged when there are none). */
export function withConfigReference(page: string): string {
  return page.replace(MARKERS, (_m, start: string, end: string) => `${start}\n${configReferenceMarkdown()}\n${end}`);
}

/** The reference as a Markdown table. */
export function configReferenceMarkdown(): string {
  const esc = (t: string) => t.replaceAll('|', '\\|');
  return [
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...configReferenceRows().map((r) => `| \`${r.key}\` | ${esc(r.type)} | ${r.default === 'required' ? 'required' : r.default ? `\`${esc(r.default)}\`` : ''} | ${esc(r.description)} |`),
  ].join('\n');
}
