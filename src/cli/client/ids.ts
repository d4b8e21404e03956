import { Failure } from './connection.js';
import { shortId } from './format.js';

/**
 * Finds the one item an id names: its whole id, or a prefix of it that no other item shares (`3f2a` for
 * `3f2a91c4-…`). Case does not matter. Nothing, or more than one, is a failure that says which.
 */
export function findById<T>(items: T[], idOf: (item: T) => string, given: string, what: string): T {
  const wanted = given.trim().toLowerCase();
  if (wanted === '') throw new Failure(`give the id of the ${what}`);
  const exact = items.filter((item) => idOf(item).toLowerCase() === wanted);
  if (exact.length === 1) return exact[0];
  const matches = items.filter((item) => idOf(item).toLowerCase().startsWith(wanted));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new Failure(`there is no ${what} ${given}`);
  const ids = [...new Set(matches.map((item) => idOf(item)))];
  if (ids.length === 1) return matches[0];
  const shown = ids.slice(0, 4).map((id) => (id.length > 12 ? `${shortId(id)}…` : id));
  throw new Failure(
    `${given} is ambiguous: it starts ${ids.length} ${what} ids (${shown.join(', ')}${ids.length > 4 ? ', …' : ''}); give more of it`,
  );
}
