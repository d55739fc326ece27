/**
 * API keys: random, shown once, stored as a SHA-256 hash (keys carry 192 bits of entropy, so a
 * fast hash is the right tool; passwords use scrypt). Looked up by hash on every request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Tx } from '../../db/database.js';
import { nowIso } from '../../domain/clock.js';
import { newId } from '../../domain/ids.js';
import { isRole, type Principal, type Role } from '../../domain/access.js';
import { emit } from '../outbox.js';

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export type CreatedKey = {
  readonly id: string;
  readonly key: string;
  readonly role: Role;
  readonly name: string;
};

/** `api_key.created`: who may now call the API, never the secret, its hash or its prefix. */
const keyCreated = (k: { id: string; name: string; role: Role }) => ({
  type: 'api_key.created',
  aggregateType: 'api_key',
  aggregateId: k.id,
  payload: { id: k.id, name: k.name, role: k.role },
});

/**
 * Creates a key for `role` and emits `api_key.created`; the returned `key` is the only time the
 * secret exists in clear.
 */
export async function createApiKey(
  tx: Tx,
  input: { role: Role; name: string; key?: string | undefined },
): Promise<CreatedKey> {
  const key = input.key ?? `kbl_${randomBytes(24).toString('base64url')}`;
  const id = newId('apiKey');
  const at = nowIso();
  await tx
    .insertInto('api_keys')
    .values({
      id,
      name: input.name,
      role: input.role,
      prefix: key.slice(0, 8),
      key_hash: hashKey(key),
      created_at: at,
      revoked_at: null,
    })
    .execute();
  await emit(tx, at, [keyCreated({ id, name: input.name, role: input.role })]);
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

/** Revokes an active key and emits `api_key.revoked`; false when there is no such active key. */
export async function revokeApiKey(tx: Tx, id: string): Promise<boolean> {
  const at = nowIso();
  const r = await tx
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  await emit(tx, at, [
    { type: 'api_key.revoked', aggregateType: 'api_key', aggregateId: id, payload: { id } },
  ]);
  return true;
}

/**
 * On first start with an empty key table: create an admin key (from `KIBBLE_ADMIN_KEY` when set)
 * and return it so the caller can print it once. Returns null when keys already exist.
 */
export async function ensureAdminKey(tx: Tx, presetKey: string | undefined): Promise<CreatedKey | null> {
  if (presetKey) {
    // Several processes may start at once with the same key: insert-if-absent, never fail.
    const id = newId('apiKey');
    const name = 'admin (KIBBLE_ADMIN_KEY)';
    const at = nowIso();
    const r = await tx
      .insertInto('api_keys')
      .values({
        id,
        name,
        role: 'admin',
        prefix: presetKey.slice(0, 8),
        key_hash: hashKey(presetKey),
        created_at: at,
        revoked_at: null,
      })
      .onConflict((oc) => oc.column('key_hash').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0n) !== 1) return null;
    await emit(tx, at, [keyCreated({ id, name, role: 'admin' })]);
    return { id, key: presetKey, role: 'admin', name };
  }
  if ((await countApiKeys(tx)) > 0) return null;
  return createApiKey(tx, { role: 'admin', name: 'first admin key' });
}
