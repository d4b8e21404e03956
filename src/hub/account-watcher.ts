import type { Logger } from 'pino';
import type { Logins } from './logins.js';
import type { HubRepository, StopWatching } from './repository.js';

/**
 * `roomfiles hub user …` (or another hub process) edits accounts behind this process's back. When the repository
 * can tell of such changes, the rooms logged in as a changed account learn their new policy within a second or
 * two; a repository that cannot tell is not watched.
 */
export function watchAccountChanges(repo: HubRepository, logins: Logins, logger: Logger): StopWatching {
  if (!repo.watchExternalChanges) return () => undefined;
  let applying = Promise.resolve();
  return repo.watchExternalChanges(() => {
    // One pass at a time: a change noticed during a pass is applied after it, in order.
    applying = applying.then(async () => {
      try {
        for (const name of logins.accountsLoggedIn()) await logins.applyAccountChanges(name);
      } catch (error) {
        logger.error({ err: error }, 'applying changed accounts failed');
      }
    });
  });
}
