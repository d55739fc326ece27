/**
 * The one place that turns failures into RFC 9457 problem+json. Domain codes map to HTTP status in
 * `statusOf`; Fastify's own errors (validation, bad JSON, content type, body size) keep their 4xx
 * status with field errors; anything unexpected is a logged 500 that reveals nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { idCursorPattern, patterns } from '../schemas/common.schema.js';
import { idPrefixes } from '../../domain/ids.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError, type DomainErrorCode, type FieldError } from '../../domain/errors.js';
import { plainValidationMessage } from '../validation.js';

export const statusOf: Record<DomainErrorCode, number> = {
  VALIDATION_FAILED: 400,
  NOT_FOUND: 404,
  UNKNOWN_SKU: 422,
  UNKNOWN_LOCATION: 422,
  UNKNOWN_LOT: 422,
  UNKNOWN_BIN: 422,
  SKU_EXISTS: 409,
  LOCATION_EXISTS: 409,
  BARCODE_EXISTS: 409,
  PAYMENT_EXISTS: 409,
  INSUFFICIENT_STOCK: 409,
  NEGATIVE_STOCK: 409,
  LOT_REQUIRED: 422,
  LOT_BLOCKED: 409,
  INVALID_TRANSITION: 409,
  VERSION_MISMATCH: 412,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_IN_PROGRESS: 409,
  DUPLICATE_ORDER: 409,
  TOTAL_MISMATCH: 422,
  RESERVATION_EXPIRED: 409,
  CONFLICT: 409,
  PAYMENT_REFUSED: 409,
  PAYMENT_PROVIDER_ERROR: 502,
};

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  requestId: string;
  errors?: Array<{ field: string; pointer: string; message: string }>;
  [extra: string]: unknown;
};

const slug = (code: string) => code.toLowerCase().replaceAll('_', '-');

export function problem(
  /** The request (`url` is left out of a problem answered before any request was read). */
  req: Pick<FastifyRequest, 'id'> & Partial<Pick<FastifyRequest, 'url'>>,
  status: number,
  code: string,
  detail: string,
  fields: readonly FieldError[] = [],
  data: Readonly<Record<string, unknown>> = {},
): ProblemBody {
  const body: ProblemBody = {
    ...data,
    type: `https://kibble.dev/problems/${slug(code)}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    ...(req.url === undefined ? {} : { instance: instanceOf(req.url) }),
    code,
    requestId: req.id,
  };
  if (fields.length > 0) {
    body.errors = fields.map((f) => ({
      field: f.field,
      pointer: pointerOf(f.field),
      message: f.message,
    }));
  }
  return body;
}

export function sendProblem(reply: FastifyReply, body: ProblemBody): FastifyReply {
  return reply.code(body.status).type('application/problem+json').serializer(JSON.stringify).send(body);
}

type AjvError = { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> };

/**
 * The RFC 6901 JSON Pointer into the request body for a dotted field: "" when the whole body is at
 * fault, `~` and `/` inside a name escaped. Fields outside the body ("(path)", a header) keep
 * their name as a one-segment pointer, as before.
 */
function pointerOf(field: string): string {
  if (field === '(body)') return '';
  return field
    .split('.')
    .map((part) => `/${part.replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
}

/** What a value that fails one of our schemas' patterns should look like, in words. */
const patternMessages: Record<string, string> = {
  [patterns.currency]: 'must be an ISO-4217 currency code in capitals, e.g. USD',
  [patterns.country]: 'must be an assigned ISO 3166-1 alpha-2 country code in capitals, e.g. US',
  [patterns.date]: 'must be a date, YYYY-MM-DD',
  [patterns.email]: 'must be an e-mail address, name@domain, without spaces',
  // A list's cursor (IdCursor) is an id of the list's own kind.
  ...Object.fromEntries(
    Object.values(idPrefixes).map((prefix) => [
      idCursorPattern(prefix),
      `must be the nextCursor of this list's previous page (${prefix}_…)`,
    ]),
  ),
};

/** `/lines/0/sku` → `lines.0.sku`; the part name (body, querystring, params) is dropped. */
function fieldsOfValidation(errors: readonly AjvError[]): FieldError[] {
  const out = new Map<string, string>();
  // A union of literals (`onShortage`, an action) fails once per literal: name them all.
  const allowed = new Map<string, unknown[]>();
  for (const e of errors) {
    const values =
      e.keyword === 'const'
        ? [e.params['allowedValue']]
        : e.keyword === 'enum'
          ? e.params['allowedValues']
          : null;
    if (Array.isArray(values))
      allowed.set(e.instancePath, [...(allowed.get(e.instancePath) ?? []), ...values]);
  }
  for (const e of errors) {
    let path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
    if (
      (e.keyword === 'required' || e.keyword === 'dependencies') &&
      typeof e.params['missingProperty'] === 'string'
    ) {
      path = path ? `${path}.${e.params['missingProperty']}` : e.params['missingProperty'];
    }
    if (e.keyword === 'additionalProperties' && typeof e.params['additionalProperty'] === 'string') {
      path = path ? `${path}.${e.params['additionalProperty']}` : e.params['additionalProperty'];
      out.set(path, 'is not a known field');
      continue;
    }
    let message = plainValidationMessage(e) ?? e.message ?? 'is invalid';
    if (e.keyword === 'required') message = 'is required';
    if (e.keyword === 'dependencies') message = `is required when ${String(e.params['property'])} is given`;
    if (e.keyword === 'format' && e.params['format'] === 'non-blank') message = 'must not be blank';
    if (e.keyword === 'format' && e.params['format'] === 'instant')
      message =
        'must be a date (YYYY-MM-DD) or an instant with its zone (2027-01-31T12:00:00Z) on a real calendar day';
    if (e.keyword === 'format' && e.params['format'] === 'date')
      message = 'must be a real calendar day, YYYY-MM-DD';
    if (e.keyword === 'pattern')
      message = patternMessages[String(e.params['pattern'])] ?? 'contains characters that are not allowed';
    const choices = allowed.get(e.instancePath);
    if (choices && (e.keyword === 'const' || e.keyword === 'enum' || e.keyword === 'anyOf'))
      message = `must be one of: ${choices.map((v) => JSON.stringify(v)).join(', ')}`;
    if (!out.has(path || '(body)')) out.set(path || '(body)', message);
  }
  return [...out].map(([field, message]) => ({ field, message }));
}

/**
 * Fastify's `frameworkErrors`: failures before routing, such as a path with an undecodable
 * percent-encoding (`%ED%A0%80`, a lone surrogate) or an overlong path parameter. Without this they
 * would answer plain JSON instead of problem+json.
 */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 500) {
    req.log.error({ err: error }, 'framework error');
    void sendProblem(
      reply,
      problem(req, 500, 'INTERNAL', 'An unexpected error occurred; it has been logged.'),
    );
    return;
  }
  const [code, message] =
    error.code === 'FST_ERR_BAD_URL'
      ? ['BAD_URL', 'contains a percent-encoding that is not valid UTF-8']
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? ['PARAMETER_TOO_LONG', 'has a parameter longer than allowed']
        : ['BAD_REQUEST', 'is not valid'];
  void sendProblem(
    reply,
    problem(req, status, code, `The request path ${message}.`, [{ field: '(path)', message }]),
  );
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses before any route sees it (a
 * header line without a colon, Content-Length with Transfer-Encoding, a body longer than its
 * Content-Length, headers over the size limit, a request too slow to arrive). There is no request
 * to answer through, so the problem+json goes on the socket itself, and the connection is closed:
 * after a framing error nothing more on it can be trusted. Without this Fastify answers plain JSON.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail]: [number, string, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request did not arrive in time.']
        : [
            400,
            'MALFORMED_REQUEST',
            `The request is not valid HTTP/1.1 (${error.message}); it was not read.`,
          ];
  const body = JSON.stringify(problem({ id: `req_${randomUUID()}` }, status, code, detail));
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${titles[status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

/**
 * A framework's 4xx as our problem: its code, and what is at fault named — the body, or the header
 * that labels it.
 */
function clientRefusal(
  error: FastifyError,
  req: FastifyRequest,
): { code: string; detail: string; fields: FieldError[] } {
  const limit = req.server.initialConfig.bodyLimit;
  switch (error.code) {
    case 'UNSUPPORTED_CONTENT_ENCODING':
      return {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        detail: error.message,
        fields: [{ field: 'Content-Encoding', message: 'must be identity (or absent)' }],
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const given = req.headers['content-type'];
      const what = given ? `Content-Type ${shortened(given, 100)}` : 'A body without a Content-Type';
      return {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        detail: `${what} is not supported: send the body as JSON with Content-Type: application/json.`,
        fields: [{ field: 'Content-Type', message: 'must be application/json' }],
      };
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        code: 'BODY_TOO_LARGE',
        detail: `The request body is larger than the ${limit} bytes accepted.`,
        fields: [{ field: '(body)', message: `must be at most ${limit} bytes` }],
      };
  }
  if (error.code?.startsWith('FST_ERR_CTP'))
    return {
      code: 'MALFORMED_BODY',
      detail: error.message,
      fields: [{ field: '(body)', message: error.message }],
    };
  return { code: error.code ?? 'BAD_REQUEST', detail: error.message, fields: [] };
}

/** A path as echoed in a problem: a 10,000-character one is cut, not sent back whole. */
function shortened(path: string, max = 200): string {
  return path.length <= max ? path : `${path.slice(0, max)}… (${path.length} characters)`;
}

/** The problem's `instance` (a URI reference): the request's URL, cut like `shortened` when huge. */
function instanceOf(url: string, max = 200): string {
  return url.length <= max ? url : url.slice(0, max).replace(/%[0-9A-Fa-f]?$/, '');
}

async function problemPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(
    (error: FastifyError & { validation?: AjvError[]; validationContext?: string }, req, reply) => {
      if (error instanceof DomainError) {
        const status = statusOf[error.code];
        return sendProblem(reply, problem(req, status, error.code, error.message, error.fields, error.data));
      }
      if (error.validation) {
        const fields = fieldsOfValidation(error.validation);
        const where = error.validationContext ?? 'request';
        const detail = `The ${where} is invalid: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`;
        return sendProblem(reply, problem(req, 400, 'VALIDATION_FAILED', detail, fields));
      }
      const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
      if (status >= 400 && status < 500) {
        const { code, detail, fields } = clientRefusal(error, req);
        return sendProblem(reply, problem(req, status, code, detail, fields));
      }
      req.log.error({ err: error }, 'unhandled error');
      return sendProblem(
        reply,
        problem(req, 500, 'INTERNAL', 'An unexpected error occurred; it has been logged.'),
      );
    },
  );

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    // A path the API serves with other methods is a 405 naming them (RFC 9110), not a 404. The web
    // admin's catch-all GET (`/*`, a wildcard) serves every path and counts for none.
    // A segment longer than the router's maxParamLength (MAX_PARAM_LENGTH) matches no route of any method.
    const tooLong = path.split('/').some((segment) => segment.length > MAX_PARAM_LENGTH);
    const allowed = METHODS.filter((method) => {
      if (tooLong || method === req.method) return false;
      const found = app.findRoute({ method, url: path });
      return found !== null && !('*' in (found.params ?? {}));
    });
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        problem(
          req,
          405,
          'METHOD_NOT_ALLOWED',
          `${req.method} is not allowed on ${shortened(path)}; it allows ${allowed.join(', ')}`,
        ),
      );
    }
    return sendProblem(reply, problem(req, 404, 'NOT_FOUND', `No route ${req.method} ${shortened(path)}`));
  });
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Longer than any URL Node accepts (its headers are capped at 16 KiB): every segment is routed. */
export const MAX_PARAM_LENGTH = 65_536;

export default fp(problemPlugin, { name: 'problem' });
