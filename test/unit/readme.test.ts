// The README is the map: its two commands come first and CI runs exactly its
// test command; every page it links to is there.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as '-'. */
function anchors(markdown: string): Set<string> {
  const outside = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...outside.matchAll(/^#{1,6} (.+)$/gm)].map(([, h]) => h!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));
}

test("the README's first section is the two commands for a fresh machine, and CI runs its test command", () => {
  const first = /^## (.+)\n\n```sh\n([\s\S]*?)```/m.exec(readme);
  assert.ok(first, 'a section with a sh block');
  assert.equal(first[1], 'Two commands, on a fresh machine');
  assert.ok(readme.indexOf(first[0]) < readme.indexOf('\n## ', readme.indexOf('## Two commands') + 1), 'it is the first section');
  const commands = first[2]!.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(commands, ['npm run demo', 'npm test']);
  const ci = readFileSync(new URL('.ci/run', root), 'utf8').split('\n').filter((l) => l && !l.startsWith('#') && !/^(set|cd) /.test(l));
  assert.deepEqual(ci, ['npm test']);
});

test('the README is a map: short, each section once', () => {
  const headings = readme.split('\n').filter((l) => l.startsWith('## '));
  assert.deepEqual(headings, [...new Set(headings)]);
  assert.ok(readme.split('\n').length < 250, 'the manual belongs in docs/');
});

test('every page the README and docs/ link to exists', () => {
  for (const page of ['README.md', 'docs/operator-guide.md', 'docs/configuration.md', 'docs/architecture.md', 'docs/development.md', 'docs/reliability.md', 'docs/performance.md', 'docs/deploy.md', 'docs/monitoring.md', 'docs/deploy-worker.md', 'docs/cli.md', 'docs/listings.md', 'docs/audit.md']) {
    const text = readFileSync(new URL(page, root), 'utf8');
    const base = new URL(page, root);
    for (const [, target, anchor] of text.matchAll(/\]\(([^)#\s]*)(?:#([^)]*))?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const url = target ? new URL(target, base) : base;
      assert.ok(existsSync(url), `${page} links to ${target}, which is not there`);
      if (anchor) assert.ok(anchors(readFileSync(url, 'utf8')).has(anchor), `${page} links to ${target}#${anchor}: no such heading`);
    }
  }
});
