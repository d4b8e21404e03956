import type { TestContext } from 'node:test';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when the run is CI's (`CI=true`): there, a test that needs a missing system part fails instead of skipping. */
export const inCI = process.env.CI === 'true';

/** The absolute path of an executable on PATH (or given absolute), or null. */
export function findExecutable(name: string, extraDirs: string[] = []): string | null {
  const dirs = name.includes('/') ? [''] : [...extraDirs, ...(process.env.PATH ?? '').split(delimiter)];
  for (const dir of dirs) {
    const path = dir ? join(dir, name) : name;
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * For a test that needs a system part (nginx, PostgreSQL, root…): when `missing` names what is absent, the test is
 * skipped with that reason outside CI and fails in CI (a missing install step must not pass as a green run).
 * Returns true when the test should go on.
 */
export function need(t: TestContext, missing: string | null): boolean {
  if (missing === null) return true;
  if (inCI) throw new Error(`this test cannot run in CI: ${missing}`);
  t.skip(missing);
  console.log(`# skipped: ${t.name}: ${missing}`);
  return false;
}
