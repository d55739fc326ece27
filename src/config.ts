/**
 * Settings read from the environment. A value Kibble cannot use stops the command at once with one
 * line naming the variable (the CLI prints a ConfigError's message, no stack, exit code 2): never a
 * silent default, never a failure later.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The positive number in `env[name]`, or `fallback` when it is unset or empty. Plain decimal digits
 * only (no sign, exponent or spaces); `whole` refuses fractions; `max` caps it.
 */
export function positiveNumberFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  rule: { readonly whole?: boolean; readonly max?: number; readonly unit?: string } = {},
): number {
  const given = env[name];
  if (given === undefined || given === '') return fallback;
  const value = Number(given);
  const pattern = rule.whole ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!pattern.test(given) || !(value > 0) || (rule.max !== undefined && value > rule.max)) {
    const what = `a positive ${rule.whole ? 'whole number' : 'number'}${rule.unit ? ` of ${rule.unit}` : ''}`;
    throw new ConfigError(
      `${name} must be ${what}${rule.max !== undefined ? ` up to ${rule.max}` : ''}, not "${given}"`,
    );
  }
  return value;
}

/**
 * `PORT`, the port `serve` and `start` listen on: 3000 when unset or empty; otherwise decimal digits
 * naming a port, 0 to 65535 (0: any free port).
 */
export function portFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const given = env['PORT'];
  if (given === undefined || given === '') return 3000;
  if (!/^\d{1,5}$/.test(given) || Number(given) > 65535)
    throw new ConfigError(`PORT must be a port number from 0 to 65535, not "${given}"`);
  return Number(given);
}

/**
 * `KIBBLE_ADMIN_KEY`, the admin API key a server creates on start (unset or empty: none). Clients
 * send it as `Authorization: Bearer <key>`, so it must be one header token — visible ASCII, no
 * space, at most 200 characters — and at least 16 characters, so that it is not guessable.
 */
export function adminKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env['KIBBLE_ADMIN_KEY'];
  if (given === undefined || given === '') return undefined;
  if (!/^[\x21-\x7e]{16,200}$/.test(given))
    throw new ConfigError(
      `KIBBLE_ADMIN_KEY must be 16 to 200 visible ASCII characters without spaces (it is sent as "Authorization: Bearer <key>"), not a value of ${given.length} characters${/[^\x21-\x7e]/.test(given) ? ' with spaces or other characters' : ''}`,
    );
  return given;
}
