import { after, test } from 'node:test';
import { CLUSTER_MODE, CLUSTER_PG_ENV, CLUSTER_S3_ENV } from '../helpers/hub-cluster.js';
import { tempDir } from '../helpers/harness.js';
import { nginxMissing } from '../helpers/nginx.js';
import { HUB_DB_ENV, postgresMissing, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { S3Server } from '../helpers/s3.js';
import { need } from '../helpers/system.js';
import { assertGroupPassed, runTestGroup } from '../helpers/test-groups.js';

/**
 * Runs tests of the transfer and conference sequence files, unchanged, through a cluster: two hubs sharing one
 * PostgreSQL database and one S3 bucket behind nginx (the configuration of docs/operations.md), with the rooms of
 * each test placed on the two hubs in turn, so that every push, conference change and body between two rooms
 * crosses from one hub to the other (test/helpers/hub-cluster.ts). The group runs in a child test process with
 * ROOMFILES_TEST_HUB_DB=cluster; the PostgreSQL server and the S3 endpoint are started once per test file, here
 * (each test gets a database and a bucket prefix of its own). Each file calling this stays well under a minute.
 */
export function clusterGroupTest(file: string, names: string[]): void {
  const dir = tempDir('roomfiles-cluster-pg-');
  let servers: Promise<{ pg: PgCluster; s3: S3Server }> | null = null;

  after(async () => {
    if (servers) {
      const { pg, s3 } = await servers;
      await s3.close();
      await pg.stop();
    }
    dir.cleanup();
  });

  test(
    `${file.replace('.test.js', '')} ${names.join(', ')} pass through two hubs on PostgreSQL and S3 behind nginx, the rooms on both`,
    { timeout: 180_000 },
    async (t) => {
      if (!need(t, postgresMissing()) || !need(t, nginxMissing())) return;
      servers ??= Promise.all([startPostgres(dir.path), S3Server.start()]).then(([pg, s3]) => ({ pg, s3 }));
      const { pg, s3 } = await servers;
      const run = await runTestGroup(new URL(file, import.meta.url), names, {
        [HUB_DB_ENV]: CLUSTER_MODE,
        [CLUSTER_PG_ENV]: pg.url(),
        [CLUSTER_S3_ENV]: s3.endpoint,
      });
      assertGroupPassed(run, names.length);
    },
  );
}
