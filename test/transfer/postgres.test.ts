import { test } from 'node:test';
import { HUB_DB_ENV, postgresMissing } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';
import { assertGroupPassed, runTestGroup } from '../helpers/test-groups.js';

/**
 * The transfer and conference sequence tests, unchanged, through a hub whose rows are in PostgreSQL: each runs in
 * a child test process with ROOMFILES_TEST_HUB_DB=postgres, which makes every TestBed hub use a fresh database
 * of a throwaway cluster. The files are split in groups so that each test here stays well under a minute.
 */
const GROUPS: { file: string; names: string[] }[] = [
  { file: 'sequences.test.js', names: ['1', '2', '2b', '3a'] },
  { file: 'sequences.test.js', names: ['3b', '5', '5b', '5c'] },
  { file: 'sequences.test.js', names: ['6', '11', '12'] },
  { file: 'conference.test.js', names: ['4', '4b'] },
  { file: 'conference.test.js', names: ['10'] },
];

for (const { file, names } of GROUPS) {
  test(`${file.replace('.test.js', '')} ${names.join(', ')} pass through a hub on PostgreSQL`, async (t) => {
    if (!need(t, postgresMissing())) return;
    const run = await runTestGroup(new URL(file, import.meta.url), names, { [HUB_DB_ENV]: 'postgres' });
    assertGroupPassed(run, names.length);
  });
}
