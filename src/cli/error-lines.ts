/**
 * How the CLI prints a failure on standard error. A `DomainError` names its code, its message and
 * every field at fault (`VALIDATION_FAILED: The user is invalid.` alone would not say which), in
 * the `field: message` form the CSV importer uses for its rows.
 */
import { DomainError } from '../domain/errors.js';

/** The lines to print for a domain error: its code and message, then one per field error. */
export function domainErrorLines(error: DomainError): string[] {
  const [only, ...more] = error.fields;
  // A one-field error whose message is the field's own (`fieldError`): one line that names it.
  if (only !== undefined && more.length === 0 && only.message === error.message)
    return [`${error.code}: ${only.field}: ${error.message}`];
  return [`${error.code}: ${error.message}`, ...error.fields.map((f) => `  ${f.field}: ${f.message}`)];
}

/** Socket errors that mean the database server was not reached at all. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** PostgreSQL's refusals of a connection (SQLSTATE), said in words a person acts on. */
const REFUSED: Record<string, string> = {
  '3D000': 'the database does not exist (create it, or name another in DATABASE_URL)',
  '28000': 'the server does not let this user in (see its pg_hba.conf)',
  '28P01': 'the password was refused',
  '57P03': 'the server is starting up or shutting down; try again shortly',
  '53300': 'the server has no connection slot left (max_connections)',
};

/**
 * One line for a command that could not connect to PostgreSQL — where it tried (the URL without
 * its password) and why — instead of a driver's stack trace; undefined for any other error.
 */
export function unreachableDatabaseLine(
  error: unknown,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const url = env['DATABASE_URL'];
  const code = (error as { code?: unknown } | null)?.code;
  if (!url || typeof code !== 'string') return undefined;
  const why = REFUSED[code] ?? (UNREACHABLE.has(code) ? `nothing answered (${code})` : undefined);
  if (why === undefined) return undefined;
  return `Kibble: cannot connect to PostgreSQL at ${withoutPassword(url)} (DATABASE_URL): ${why}`;
}

function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'the address in DATABASE_URL';
  }
}
