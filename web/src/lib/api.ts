/**
 * The admin's only way into Kibble: JSON over the HTTP API, same origin, with the session cookie.
 * Unsafe requests carry the session's CSRF token; creating POSTs carry an Idempotency-Key so a
 * retried click never acts twice. Failures are RFC 9457 problems, turned into `ApiError` with the
 * field errors keyed by field name so forms can show each next to its input.
 */

export type ProblemField = { field: string; pointer?: string; message: string };

export type Problem = {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: ProblemField[];
  requestId?: string;
  /** Extension members (RFC 9457 §3.2), e.g. `sku` and `lots` of LOT_REQUIRED. */
  [extension: string]: unknown;
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: ReadonlyMap<string, string>;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? `Request failed (${problem.status})`);
    this.name = 'ApiError';
    this.status = problem.status;
    this.code = problem.code ?? 'ERROR';
    this.problem = problem;
    this.fields = new Map((problem.errors ?? []).map((e) => [e.field, e.message]));
  }

  /** The message for `field`, also matching nested names (`lines.0.quantity` for `lines.0`). */
  field(name: string): string | undefined {
    return this.fields.get(name);
  }
}

let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says the session is gone (expired, signed out elsewhere, user disabled). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export type RequestOptions = {
  readonly signal?: AbortSignal;
  readonly headers?: Record<string, string>;
  /** Send `If-Match: "<version>"` for optimistic concurrency. */
  readonly version?: number;
  /** Bearer key instead of the session (first-run setup only). */
  readonly apiKey?: string;
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function idempotencyKey(): string {
  return `ui-${crypto.randomUUID()}`;
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.apiKey) headers['authorization'] = `Bearer ${opts.apiKey}`;
  else if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (method === 'POST') headers['idempotency-key'] ??= idempotencyKey();
  if (opts.version !== undefined) headers['if-match'] = `"${opts.version}"`;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError({
      status: 0,
      code: 'NETWORK',
      detail: 'Kibble cannot be reached. Check your connection.',
    });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const problem: Problem =
      parsed && typeof parsed === 'object'
        ? { ...(parsed as Problem), status: res.status }
        : { status: res.status, detail: `The server answered ${res.status}.` };
    // A 401 means the session ended, except when signing in (a wrong password) or using a key.
    if (res.status === 401 && !opts.apiKey && path !== '/session') for (const l of unauthorizedListeners) l();
    throw new ApiError(problem);
  }
  return parsed as T;
}

export const get = <T>(path: string, opts?: RequestOptions) => api<T>('GET', path, undefined, opts);
export const post = <T>(path: string, body?: unknown, opts?: RequestOptions) =>
  api<T>('POST', path, body ?? {}, opts);

/** `?a=1&b=x` from the defined, non-empty values. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    search.set(k, String(v));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

/** A client-side check failing in the same shape as the API's, so forms show it the same way. */
export function invalid(field: string, message: string): ApiError {
  return new ApiError({
    status: 400,
    code: 'VALIDATION_FAILED',
    title: 'Check the form',
    detail: `${field} ${message}`,
    errors: [{ field, message }],
  });
}
