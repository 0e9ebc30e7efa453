// `vmbackup config check`: validates a config file's text and says, for every
// value the tools will use, where it came from (a line of the file or the
// schema's default), and for every problem, the line and column it is at.
//
// Positions: the values are parsed by js-yaml, exactly as loadConfig parses
// them, so what this check accepts is what the CLI and the workers load. A
// syntax error carries js-yaml's own mark. A schema error carries a zod issue
// path, which js-yaml cannot map back to the text: its `listener` option
// reports node open/close events with offsets but not which mapping key a node
// belongs to, so the key paths would have to be rebuilt by hand. The `yaml`
// package's parseDocument keeps a range on every node (key and value) and is
// used only to find positions, never for values.
import yaml from 'js-yaml';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { dirname } from 'node:path';
import { resolvePaths } from './load.ts';
import { type Config, ConfigSchema } from './schema.ts';

/** A place in the file, 1-based as editors count. */
export interface Position {
  line: number;
  column: number;
}

export interface ConfigProblem extends Position {
  /** The key path the problem is at (`hosts[1].name`); absent for a syntax error. */
  path?: string;
  message: string;
}

export interface ValueOrigin {
  /** The key path of one value (`hosts[0].concurrency`, `exclude.servers.global[0]`). */
  path: string;
  value: unknown;
  /** `file`: written in the file (at `line`, `column`); `default`: the schema's default. */
  from: 'file' | 'default';
  line?: number;
  column?: number;
}

export type ConfigCheck = { valid: true; config: Config; origins: ValueOrigin[] } | { valid: false; problems: ConfigProblem[] };

type Segment = string | number;

/** The key path as the reference and zod's pretty errors write it: `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`)).join('');
}

/** Validates `text`: the parsed config and each value's origin, or every problem with its position. */
export function checkConfigText(text: string, file: string): ConfigCheck {
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file });
  } catch (err) {
    if (err instanceof yaml.YAMLException) return { valid: false, problems: [{ line: err.mark.line + 1, column: err.mark.column + 1, message: err.reason }] };
    throw err;
  }
  const parsed = ConfigSchema.safeParse(raw ?? {});
  const locate = locator(text);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => problemsOf(issue, locate));
    return { valid: false, problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) };
  }
  // Paths as the tools use them: relative to the file, `~` expanded.
  const config = resolvePaths(parsed.data, dirname(file));
  const origins: ValueOrigin[] = [];
  for (const [path, value] of leaves(config, [])) {
    const inFile = has(raw, path);
    const at = inFile ? locate(path) : undefined;
    origins.push({ path: formatPath(path), value, from: inFile ? 'file' : 'default', ...at });
  }
  return { valid: true, config, origins };
}

/** One line per problem, as compilers print them, so an editor can jump to it: `FILE:LINE:COL: PATH: MESSAGE`. */
export function formatProblem(file: string, p: ConfigProblem): string {
  return `${file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

function problemsOf(issue: z.core.$ZodIssue, locate: Locate): ConfigProblem[] {
  const path = issue.path.filter((s): s is Segment => typeof s !== 'symbol');
  // An unknown key is shown where it is written, not at the mapping that holds it.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ ...locate([...path, key], 'key'), path: formatPath([...path, key]), message: `unknown key "${key}"` }));
  }
  // zod's "expected string, received undefined" is a key that is not there.
  const missing = issue.code === 'invalid_type' && / received undefined$/.test(issue.message);
  return [{ ...locate(path), path: formatPath(path), message: missing ? `missing: a required key (${issue.expected})` : issue.message }];
}

/**
 * Finds where a key path is written: the value's position when the whole path
 * is in the file, else the deepest key on it that is (a missing key is
 * reported at the mapping that lacks it), else the document's start.
 */
type Locate = (path: readonly Segment[], at?: 'key' | 'value') => Position;

function locator(text: string): Locate {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false });
  const pos = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return (path, at = 'value') => {
    let node: unknown = doc.contents;
    let found: Node | undefined;
    for (const [i, seg] of path.entries()) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (!pair) break;
        if (isScalar(pair.key)) found = pair.key;
        if (at === 'key' && i === path.length - 1) break;
        next = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      } else break;
      // A key with no value (`key:`) points at the key.
      if (next && typeof next === 'object' && 'range' in next && !(isScalar(next) && next.value === null && next.source === undefined)) found = next as Node;
      node = next;
    }
    const offset = found?.range?.[0];
    return offset === undefined ? { line: 1, column: 1 } : pos(offset);
  };
}

/** Every scalar of `value` with its path; an empty list or mapping counts as one value. */
function leaves(value: unknown, path: Segment[]): Array<[Segment[], unknown]> {
  if (Array.isArray(value)) return value.length ? value.flatMap((v, i) => leaves(v, [...path, i])) : [[path, value]];
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length ? entries.flatMap(([k, v]) => leaves(v, [...path, k])) : [[path, value]];
  }
  return [[path, value]];
}

function has(raw: unknown, path: readonly Segment[]): boolean {
  let node = raw;
  for (const seg of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return false;
    node = (node as Record<string, unknown>)[seg];
  }
  return true;
}
