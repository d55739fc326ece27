/**
 * Display names for the actors stamped on movements and order events (`user:usr_…`, `key:key_…`):
 * a user's name, an API key's name. Other actors (`system:demo`, `webhook:stripe`) and ids that no
 * longer exist are left out of the map; callers fall back to the actor itself.
 */
import type { Tx } from '../../db/database.js';

export async function actorNames(tx: Tx, actors: Iterable<string>): Promise<Map<string, string>> {
  const users = new Set<string>();
  const keys = new Set<string>();
  for (const actor of actors) {
    const colon = actor.indexOf(':');
    const kind = actor.slice(0, colon);
    const id = actor.slice(colon + 1);
    if (colon <= 0 || id === '') continue;
    if (kind === 'user') users.add(id);
    else if (kind === 'key') keys.add(id);
  }
  const [userRows, keyRows] = await Promise.all([
    users.size === 0
      ? []
      : tx
          .selectFrom('users')
          .select(['id', 'name'])
          .where('id', 'in', [...users])
          .execute(),
    keys.size === 0
      ? []
      : tx
          .selectFrom('api_keys')
          .select(['id', 'name'])
          .where('id', 'in', [...keys])
          .execute(),
  ]);
  return new Map([
    ...userRows.map((r) => [`user:${r.id}`, r.name] as const),
    ...keyRows.map((r) => [`key:${r.id}`, r.name] as const),
  ]);
}
