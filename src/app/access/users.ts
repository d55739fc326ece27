/**
 * Users of the web admin and their browser sessions.
 *
 * Passwords are hashed with scrypt (memory-hard; N=2^15, r=8, p=1, 32 MiB per hash, a random
 * 16-byte salt) and compared in constant time. Hashing takes tens of milliseconds, so callers hash
 * BEFORE opening a transaction (`hashPassword`) and pass the hash in: a write transaction never
 * waits on the KDF.
 *
 * A session is a random 256-bit token kept only in the browser's HttpOnly cookie; the database
 * stores its SHA-256 (like API keys, a fast hash is right for a high-entropy secret), the user, a
 * CSRF token the browser must echo on unsafe requests, and an expiry that slides forward while the
 * session is used.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Tx } from '../../db/database.js';
import { isRole, type Principal, type Role } from '../../domain/access.js';
import { canonicalEmail } from '../../domain/email.js';
import { DomainError, fieldError, type FieldError } from '../../domain/errors.js';
import { emit } from '../outbox.js';
import { newId } from '../../domain/ids.js';

/** How long a session lives without use; it is renewed once less than half remains. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 } as const;

export type UserView = {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
  disabledAt: string | null;
};

type UserRow = {
  id: string;
  email: string;
  name: string;
  role: string;
  created_at: string;
  disabled_at: string | null;
};

function userView(r: UserRow): UserView {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: isRole(r.role) ? r.role : 'readonly',
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
  };
}

/** The canonical form users are stored and looked up by: trimmed, NFKC-normalised, lower case. */
/** Why `email` is not acceptable, or null. Deliberately loose: one `@`, a dot in the domain. */
export function emailProblem(email: string): string | null {
  const e = canonicalEmail(email);
  if (e.length > 254) return 'must be at most 254 characters';
  if (!/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(e)) return 'must be an email address like name@example.com';
  return null;
}

export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (password.trim().length === 0) return 'must not be blank';
  return null;
}

const PASSWORD_ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O, 1/l/I

/**
 * A readable random password for `kibble users create` without `--password`: four groups of five
 * from a 56-letter alphabet without look-alikes (about 116 bits), e.g. `kT4xq-9mWzr-...`.
 */
export function generatePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    while (group.length < 5) {
      const byte = randomBytes(1)[0]!;
      if (byte < 224) group += PASSWORD_ALPHABET[byte % 56]; // 224 = 4 × 56: no modulo bias
    }
    groups.push(group);
  }
  return groups.join('-');
}

function scryptAsync(
  password: string,
  salt: Buffer,
  keyLength: number,
  opts: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, opts, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` with base64url salt and hash. Throws VALIDATION_FAILED on a weak password. */
export async function hashPassword(password: string, field = 'password'): Promise<string> {
  const problem = passwordProblem(password);
  if (problem) throw fieldError('VALIDATION_FAILED', field, problem);
  const salt = randomBytes(16);
  const { N, r, p, keyLength } = SCRYPT;
  const key = await scryptAsync(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when `password` matches `stored`; the comparison takes the same time however they differ. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every(Number.isSafeInteger) || N > 2 ** 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length === 0 || password.length > PASSWORD_MAX_LENGTH) return false;
  const actual = await scryptAsync(password, salt, expected.length, { N, r, p, maxmem: 256 * N * r });
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | null = null;

/**
 * Checks an email and password. Returns the user, or null for an unknown email, a wrong password
 * or a disabled user; an unknown email costs the same scrypt work as a known one, so response
 * times do not reveal which emails exist.
 */
export async function authenticate(tx: Tx, email: string, password: string): Promise<UserView | null> {
  const row = await tx
    .selectFrom('users')
    .selectAll()
    .where('email', '=', canonicalEmail(email))
    .executeTakeFirst();
  if (!row) {
    dummyHash ??= hashPassword(randomBytes(24).toString('base64url'));
    await verifyPassword(password, await dummyHash);
    return null;
  }
  const ok = await verifyPassword(password, row.password_hash);
  if (!ok || row.disabled_at !== null) return null;
  return userView(row);
}

export type NewUser = {
  readonly email: string;
  readonly name?: string | undefined;
  readonly role: Role;
  /** From `hashPassword`, computed before the transaction. */
  readonly passwordHash: string;
};

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Creates a user and emits `user.created` (id and role only: every role may read the event stream,
 * so no e-mail, name or hash). Errors: VALIDATION_FAILED (email, role), CONFLICT (the email is taken).
 */
export async function createUser(tx: Tx, input: NewUser, at: string): Promise<UserView> {
  const fields: FieldError[] = [];
  const emailIssue = emailProblem(input.email);
  if (emailIssue) fields.push({ field: 'email', message: emailIssue });
  if (!isRole(input.role)) fields.push({ field: 'role', message: 'is not a known role' });
  if (fields.length > 0) throw new DomainError('VALIDATION_FAILED', 'The user is invalid.', fields);
  const email = canonicalEmail(input.email);
  const taken = await tx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (taken) throw fieldError('CONFLICT', 'email', `A user with email ${email} already exists.`);
  const row: UserRow & { password_hash: string } = {
    id: newId('user'),
    email,
    name: input.name?.trim() || email.split('@')[0]!,
    role: input.role,
    password_hash: input.passwordHash,
    created_at: at,
    disabled_at: null,
  };
  try {
    await tx.insertInto('users').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw fieldError('CONFLICT', 'email', `A user with email ${email} already exists.`);
    }
    throw error;
  }
  await emit(tx, at, [
    {
      type: 'user.created',
      aggregateType: 'user',
      aggregateId: row.id,
      payload: { id: row.id, role: row.role },
    },
  ]);
  return userView(row);
}

export async function listUsers(tx: Tx): Promise<UserView[]> {
  const rows = await tx
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role', 'created_at', 'disabled_at'])
    .orderBy('email')
    .execute();
  return rows.map(userView);
}

export async function countUsers(tx: Tx): Promise<number> {
  const row = await tx
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type UserChange = {
  readonly name?: string | undefined;
  readonly role?: Role | undefined;
  readonly disabled?: boolean | undefined;
  /** From `hashPassword`; every session of the user ends when the password changes. */
  readonly passwordHash?: string | undefined;
};

/**
 * Changes a user. Disabling a user or changing their password ends their sessions. A signed-in
 * user may not disable or demote themselves (so an admin cannot lock themselves out by accident).
 * Emits `user.updated` naming the fields changed (a new password as `password`, never its hash).
 * Errors: NOT_FOUND, VALIDATION_FAILED.
 */
export async function updateUser(
  tx: Tx,
  id: string,
  change: UserChange,
  by: Principal,
  at: string,
): Promise<UserView> {
  const row = await tx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw fieldError('NOT_FOUND', 'id', `No user ${id}.`);
  const self = by.kind === 'user' && by.id === id;
  if (self && change.disabled === true) {
    throw fieldError('VALIDATION_FAILED', 'disabled', 'You cannot disable yourself.');
  }
  if (self && change.role !== undefined && change.role !== row.role) {
    throw fieldError('VALIDATION_FAILED', 'role', 'You cannot change your own role.');
  }
  const set: Partial<{ name: string; role: string; disabled_at: string | null; password_hash: string }> = {};
  if (change.name !== undefined) set.name = change.name.trim();
  if (change.role !== undefined) set.role = change.role;
  if (change.disabled !== undefined) set.disabled_at = change.disabled ? (row.disabled_at ?? at) : null;
  if (change.passwordHash !== undefined) set.password_hash = change.passwordHash;
  if (Object.keys(set).length > 0) await tx.updateTable('users').set(set).where('id', '=', id).execute();
  // Roles are read from the users table on every request, so a role change needs no session purge.
  if (change.disabled === true || change.passwordHash !== undefined) {
    await tx.deleteFrom('sessions').where('user_id', '=', id).execute();
  }
  const updated = await tx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const changed = (['name', 'role', 'disabled', 'passwordHash'] as const)
    .filter((k) => change[k] !== undefined)
    .map((k) => (k === 'passwordHash' ? 'password' : k));
  await emit(tx, at, [
    {
      type: 'user.updated',
      aggregateType: 'user',
      aggregateId: id,
      payload: { id, changed, role: updated.role, disabled: updated.disabled_at !== null },
    },
  ]);
  return userView(updated);
}

// ---------------------------------------------------------------------------------------------
// Sessions

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export type NewSession = { readonly token: string; readonly csrfToken: string; readonly expiresAt: string };

/** Opens a session for `userId`; the token is returned once, for the cookie. Prunes expired ones. */
export async function createSession(tx: Tx, userId: string, at: string): Promise<NewSession> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(Date.parse(at) + SESSION_TTL_MS).toISOString();
  await tx.deleteFrom('sessions').where('expires_at', '<=', at).execute();
  await tx
    .insertInto('sessions')
    .values({
      id: hashToken(token),
      user_id: userId,
      csrf_token: csrfToken,
      created_at: at,
      expires_at: expiresAt,
    })
    .execute();
  return { token, csrfToken, expiresAt };
}

export type ResolvedSession = {
  readonly principal: Principal;
  readonly user: UserView;
  readonly csrfToken: string;
  readonly expiresAt: string;
  /** True when less than half the lifetime remains: the caller should `renewSession`. */
  readonly renew: boolean;
};

/** The live session of `token` at instant `at`, or null (unknown, expired, or the user disabled). */
export async function resolveSession(tx: Tx, token: string, at: string): Promise<ResolvedSession | null> {
  if (token.length === 0 || token.length > 100) return null;
  const row = await tx
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      's.csrf_token',
      's.expires_at',
      'u.id',
      'u.email',
      'u.name',
      'u.role',
      'u.created_at',
      'u.disabled_at',
    ])
    .where('s.id', '=', hashToken(token))
    .where('s.expires_at', '>', at)
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row || !isRole(row.role)) return null;
  const user = userView(row);
  return {
    principal: { kind: 'user', id: user.id, role: user.role, name: user.name },
    user,
    csrfToken: row.csrf_token,
    expiresAt: row.expires_at,
    renew: Date.parse(row.expires_at) - Date.parse(at) < SESSION_TTL_MS / 2,
  };
}

/** Slides the expiry of a session forward by a full lifetime from `at`. */
export async function renewSession(tx: Tx, token: string, at: string): Promise<string> {
  const expiresAt = new Date(Date.parse(at) + SESSION_TTL_MS).toISOString();
  await tx
    .updateTable('sessions')
    .set({ expires_at: expiresAt })
    .where('id', '=', hashToken(token))
    .where('expires_at', '>', at)
    .execute();
  return expiresAt;
}

export async function destroySession(tx: Tx, token: string): Promise<void> {
  await tx.deleteFrom('sessions').where('id', '=', hashToken(token)).execute();
}
