/**
 * The documentation stands alone: every relative markdown link in README.md, docs/*.md and bench/README.md points to a
 * file or directory of the repository, and no document cites material outside it (`seed-spec`, `../shared`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const documents = [
  join(root, 'README.md'),
  join(root, 'bench', 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(root, 'docs', name)),
];

interface Link {
  line: number;
  target: string;
}

/** Markdown links outside fenced code blocks and inline code: `[text](target)`, `![alt](target)` and `[ref]: target`. */
function markdownLinks(markdown: string): Link[] {
  const links: Link[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((raw, index) => {
    const fenceMark = /^\s*(`{3,}|~{3,})/.exec(raw)?.[1];
    if (fenceMark) {
      if (fence === undefined) fence = fenceMark[0];
      else if (fenceMark[0] === fence) fence = undefined;
      return;
    }
    if (fence !== undefined) return;
    const line = raw.replace(/(`+)[^`]*?\1/g, '');
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line: index + 1, target: m[1] });
    const ref = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
    if (ref) links.push({ line: index + 1, target: ref[1] });
  });
  return links;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

test('the link extractor finds inline, image and reference links, and skips code', () => {
  const sample = [
    'See [a](docs/a.md), ![b](img/b.png "title") and [c](https://example.org).',
    '`[not](a/link.md)` in code',
    '```',
    '[not](in/a/fence.md)',
    '```',
    '[ref]: ./d.md#part',
  ].join('\n');
  assert.deepEqual(markdownLinks(sample), [
    { line: 1, target: 'docs/a.md' },
    { line: 1, target: 'img/b.png' },
    { line: 1, target: 'https://example.org' },
    { line: 6, target: './d.md#part' },
  ]);
});

test('every relative link in the documentation resolves to a file of the repository', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const doc of documents) {
    for (const { line, target } of markdownLinks(readFileSync(doc, 'utf8'))) {
      if (isExternal(target) || target.startsWith('#')) continue;
      const path = decodeURIComponent(target.split('#')[0].split('?')[0]);
      const resolved = resolve(dirname(doc), path);
      checked++;
      if (!resolved.startsWith(root)) broken.push(`${relative(root, doc)}:${line}: ${target} leaves the repository`);
      else if (!existsSync(resolved)) broken.push(`${relative(root, doc)}:${line}: ${target} does not exist`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked >= 20, `only ${checked} relative links found: the extractor is not reading the documents`);
});

test('no document cites material outside the repository', () => {
  const outside = [/seed-spec/i, /\.\.\/shared\b/, /\bshared\//];
  const found: string[] = [];
  for (const doc of documents) {
    readFileSync(doc, 'utf8')
      .split('\n')
      .forEach((text, index) => {
        for (const pattern of outside) {
          if (pattern.test(text)) found.push(`${relative(root, doc)}:${index + 1}: ${text.trim()}`);
        }
      });
  }
  assert.deepEqual(found, []);
});
