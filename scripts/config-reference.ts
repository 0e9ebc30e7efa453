// Rewrites the configuration reference in README.md from the zod schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { configReferenceMarkdown } from '../lib/config/reference.ts';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const next = readme.replace(
  /(<!-- config-reference:start -->)[\s\S]*?(<!-- config-reference:end -->)/,
  (_m, start: string, end: string) => `${start}\n${configReferenceMarkdown()}\n${end}`,
);
writeFileSync(file, next);
console.log(next === readme ? 'README.md configuration reference is up to date' : 'README.md configuration reference updated');
