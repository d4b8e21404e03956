import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout (the tests run as dist/test/docs/*.test.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** README.md and every Markdown file under docs/, as paths relative to the checkout. */
export function documents(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir)).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(join(ROOT, path)).isDirectory()) return name === 'api' ? [] : walk(path);
      return name.endsWith('.md') ? [path] : [];
    });
  return ['README.md', ...walk('docs')].map((path) => relative('.', path));
}

export function read(document: string): string {
  return readFileSync(join(ROOT, document), 'utf8');
}

/** One piece of a document: prose (with its inline code spans) or a fenced block and its info string. */
export interface Piece {
  line: number;
  text: string;
  fence: string | null;
}

/** The lines of a document, each marked with the fenced block it is in (null outside one). */
export function lines(document: string): Piece[] {
  let fence: string | null = null;
  return read(document)
    .split('\n')
    .flatMap((text, index) => {
      if (text.trimStart().startsWith('```')) {
        fence = fence === null ? text.trim().slice(3).trim() : null;
        return [];
      }
      return [{ line: index + 1, text, fence }];
    });
}
