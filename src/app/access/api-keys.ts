/**
 * API keys: random, shown once, stored as a SHA-256 hash (keys carry 192 bits of entropy, so a
 * fast hash is the right tool; passwords use scrypt). Looked up by hash on every request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Tx } from '../../db/database.js';
import { nowIso } from '../../domain/clock.js';
import { newId } from '../../domain/ids.js';
import { isRole, type Principal, type Role } from '../../domain/access.js';

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export type CreatedKey = {
  readonly id: string;
  readonly key: string;
  readonly role: Role;
  readonly name: string;
};

/** Creates a key for `role`; the returned `key` is the only time the secret exists in clear. */
export async function createApiKey(
  tx: Tx,
  input: { role: Role; name: string; key?: string | undefined },
): Promise<CreatedKey> {
  const key = input.key ?? `kbl_${randomBytes(24).toString('base64url')}`;
  const id = newId('apiKey');
  await tx
    .insertInto('api_keys')
    .values({
      id,
      name: input.name,
      role: input.role,
      prefix: key.slice(0, 8),
      key_hash: hashKey(key),
      created_at: nowIso(),
      revoked_at: null,
    })
    .execute();
  return { id, key, role: input.role, name: input.name };
}

export async function principalForKey(tx: Tx, key: string): Promise<Principal | null> {
  const row = await tx
    .selectFrom('api_keys')
    .select(['id', 'role', 'name'])
    .where('key_hash', '=', hashKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row || !isRole(row.role)) return null;
  return { kind: 'key', id: row.id, role: row.role, name: row.name };
}

export async function countApiKeys(tx: Tx): Promise<number> {
  const row = await tx
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listApiKeys(tx: Tx) {
  return tx
    .selectFrom('api_keys')
    .select(['id', 'name', 'role', 'prefix', 'created_at as createdAt', 'revoked_at as revokedAt'])
    .orderBy('id')
    .execute();
}

export async function revokeApiKey(tx: Tx, id: string): Promise<boolean> {
  const r = await tx
    .updateTable('api_keys')
    .set({ revoked_at: nowIso() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * On first start with an empty key table: create an admin key (from `KIBBLE_ADMIN_KEY` when set)
 * and return it so the caller can print it once. Returns null when keys already exist.
 */
export async function ensureAdminKey(tx: Tx, presetKey: string | undefined): Promise<CreatedKey | null> {
  if (presetKey) {
    // Several processes may start at once with the same key: insert-if-absent, never fail.
    const id = newId('apiKey');
    const r = await tx
      .insertInto('api_keys')
      .values({
        id,
        name: 'admin (KIBBLE_ADMIN_KEY)',
        role: 'admin',
        prefix: presetKey.slice(0, 8),
        key_hash: hashKey(presetKey),
        created_at: nowIso(),
        revoked_at: null,
      })
      .onConflict((oc) => oc.column('key_hash').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1
      ? { id, key: presetKey, role: 'admin', name: 'admin (KIBBLE_ADMIN_KEY)' }
      : null;
  }
  if ((await countApiKeys(tx)) > 0) return null;
  return createApiKey(tx, { role: 'admin', name: 'first admin key' });
}
