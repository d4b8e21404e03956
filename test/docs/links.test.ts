import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { documents, lines, read, ROOT } from './markdown.js';

interface Link {
  document: string;
  line: number;
  target: string;
  /** The target as a path from the checkout, without its #fragment. */
  path: string;
}

/** Every relative Markdown link (`[text](target)`, images too) of README.md and docs/, outside code. */
function relativeLinks(): Link[] {
  const links: Link[] = [];
  for (const document of documents()) {
    for (const piece of lines(document)) {
      if (piece.fence !== null) continue;
      const prose = piece.text.replace(/`[^`]*`/g, '');
      for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = match[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
        const path = normalize(join(dirname(document), decodeURIComponent(target.split('#')[0])));
        links.push({ document, line: piece.line, target, path });
      }
    }
  }
  return links;
}

test('every relative link in README.md and docs/ resolves in the repository, and none leaves it', () => {
  const links = relativeLinks();
  assert.ok(links.length > 20, `the links were found (${links.length})`);
  const broken = links.filter((link) => link.path.startsWith('..') || !existsSync(join(ROOT, link.path)));
  assert.deepEqual(
    broken.map((link) => `${link.document}:${link.line}: ${link.target}`),
    [],
    'links that do not resolve inside the repository',
  );
});

test('every relative link in README.md and docs/ resolves in the packed tarball', () => {
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(pack.status, 0, pack.stderr);
  const packed = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0].files.map(
    (file) => file.path,
  );
  const inTarball = (path: string) =>
    packed.includes(path) || packed.some((file) => file.startsWith(`${path.replace(/\/$/, '')}/`));
  for (const document of documents()) assert.ok(inTarball(document), `${document} is packed`);
  const broken = relativeLinks().filter((link) => !inTarball(link.path));
  assert.deepEqual(
    broken.map((link) => `${link.document}:${link.line}: ${link.target}`),
    [],
    'links to files the tarball does not hold',
  );
});

test('README.md and docs/ never point at the workspace outside the repository (../shared)', () => {
  for (const document of documents()) {
    assert.doesNotMatch(read(document), /\.\.\/shared|shared\/spec/, `${document} names ../shared`);
  }
});
