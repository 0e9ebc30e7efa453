// Reading the worker image's build offline (no Docker engine here): the
// Dockerfile's instructions, and which paths .dockerignore keeps out of the
// build context, by Docker's rules.
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
  /** Heredoc bodies that follow the instruction line (`RUN <<'SH' ... SH`). */
  heredocs: string[];
}

/** Instructions: comments dropped, `\` continuations joined, heredoc bodies attached. */
export function dockerfileInstructions(file: string): Instruction[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      // A comment line inside a continuation is dropped, as Docker does.
      if (/^\s*#/.test(lines[i]!)) continue;
      line = `${line.slice(0, -1)} ${lines[i]!}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`${file}: cannot parse line ${i + 1}: ${line}`);
    const heredocs: string[] = [];
    for (const hd of m[2]!.matchAll(/<<-?(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/g)) {
      const body: string[] = [];
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== hd[2]) body.push(lines[++i]!);
      i++;
      heredocs.push(body.join('\n'));
    }
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), heredocs });
  }
  return out;
}

/** COPY sources and destination, --flags dropped. */
export function copyArgs(args: string): string[] {
  const rest = args
    .split(/\s+/)
    .filter((a) => a && !a.startsWith('--'))
    .join(' ');
  if (rest.startsWith('[')) return (JSON.parse(rest) as unknown[]).map(String);
  return rest.split(/\s+/);
}

interface IgnoreRule {
  exclude: boolean;
  pattern: RegExp;
}

/**
 * .dockerignore as Docker reads it (moby/patternmatcher): one pattern a line,
 * `#` comments, `!` re-includes; `*` and `?` stop at `/`, `**` spans folders; a
 * path is matched by a pattern that matches it or any folder above it, and the
 * last matching pattern decides.
 */
export function dockerignore(file: string): (path: string) => boolean {
  const rules: IgnoreRule[] = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const exclude = !l.startsWith('!');
      const raw = (exclude ? l : l.slice(1)).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { exclude, pattern: globToRegExp(raw) };
    });
  return (path: string) => {
    const parts = path.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.pattern.test(p))) excluded = rule.exclude;
    return excluded;
  };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches no folder or any number of them; a trailing `**` anything.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
