/**
 * Building blocks of every request and response schema. These TypeBox schemas are the single
 * contract: Fastify validates with them, serialises with them, and the OpenAPI document is
 * generated from them.
 */
import { Type, type TSchema } from 'typebox';
import { COUNTRY_CODES } from '../../domain/countries.js';
import { idPrefixes, type IdKind } from '../../domain/ids.js';
import { MAX_AMOUNT_MINOR, MAX_QUANTITY } from '../../domain/quantity.js';

/** No NUL and no lone UTF-16 surrogates: PostgreSQL cannot store either. */
const SAFE_TEXT = '^[^\\u0000\\uD800-\\uDFFF]*$';

/** A trimmed-free, bounded string of printable text. */
export const Text = (opts: { maxLength?: number; minLength?: number; description?: string } = {}) =>
  Type.String({
    minLength: opts.minLength ?? 0,
    maxLength: opts.maxLength ?? 200,
    pattern: SAFE_TEXT,
    ...(opts.description ? { description: opts.description } : {}),
  });

/** Text that says something: at least one character that is not whitespace. */
export const NonEmptyText = (maxLength = 200, description?: string) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: SAFE_TEXT,
    format: 'non-blank',
    ...(description ? { description } : {}),
  });

export const SkuCode = NonEmptyText(
  64,
  'The SKU as the shop knows it; compared trimmed, NFKC-normalised and case-insensitively.',
);
export const LocationCode = NonEmptyText(64, 'The location code, e.g. `WH-LON`.');

/** A strictly positive whole quantity in the SKU's base unit. */
export const PositiveQuantity = Type.Integer({ minimum: 1, maximum: MAX_QUANTITY });
export const NonNegativeQuantity = Type.Integer({ minimum: 0, maximum: MAX_QUANTITY });
export const SignedQuantity = Type.Integer({ minimum: -MAX_QUANTITY, maximum: MAX_QUANTITY });
export const AmountMinor = Type.Integer({
  minimum: 0,
  maximum: MAX_AMOUNT_MINOR,
  description: 'Money in integer minor units (cents).',
});
/** Patterns problem details explain in words (see plugins/problem.ts). */
export const patterns = {
  currency: '^[A-Z]{3}$',
  // Assigned codes only (domain/countries.ts): `XX` or `UK` is a typo, not a country.
  country: `^(?:${COUNTRY_CODES.join('|')})$`,
  date: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$',
  email: '^[^\\s@\\u0000]+@[^\\s@\\u0000]+$',
};
export const Currency = Type.String({
  pattern: patterns.currency,
  description: 'ISO-4217 code, e.g. `USD`.',
});
export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: patterns.email,
  description: 'E-mail address',
});
export const CountryCode = Type.String({ pattern: patterns.country, description: 'ISO 3166-1 alpha-2' });
export const IsoDate = Type.String({
  format: 'date',
  pattern: patterns.date,
  description: 'YYYY-MM-DD',
});
export const Timestamp = Type.String({ description: 'ISO-8601 UTC timestamp' });
/** A query's point in time: a date (midnight UTC) or an instant with its zone, on a real calendar day. */
export const InstantQuery = (description: string) =>
  Type.String({
    format: 'instant',
    maxLength: 40,
    description: `${description}: YYYY-MM-DD or an ISO-8601 instant with its zone`,
  });
export const Id = Type.String({ maxLength: 64 });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** The pattern of a cursor over ids with `prefix` (`ord`): one such id. */
export const idCursorPattern = (prefix: string) => `^${prefix}_[0-9a-f]{32}$`;

/**
 * The `nextCursor` of a list keyed by Kibble ids of one kind (`ord_…` for orders): anything else —
 * another list's cursor included, which would silently give an empty page — is a 400.
 */
export const IdCursor = (kind: IdKind) =>
  Type.String({
    pattern: idCursorPattern(idPrefixes[kind]),
    description: `The nextCursor of the previous page (${idPrefixes[kind]}_…)`,
  });

/** RFC 9457 problem details, with field-level errors. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    code: Type.String(),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), pointer: Type.String(), message: Type.String() })),
    ),
  },
  { $id: 'Problem', additionalProperties: true },
);

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Text({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });

/** Standard error responses, so the OpenAPI document lists them on every route. */
export const problemResponses = {
  400: Type.Ref('Problem'),
  401: Type.Ref('Problem'),
  403: Type.Ref('Problem'),
  404: Type.Ref('Problem'),
  409: Type.Ref('Problem'),
  412: Type.Ref('Problem'),
  413: Type.Ref('Problem'),
  415: Type.Ref('Problem'),
  422: Type.Ref('Problem'),
} as const;

/**
 * Coordinates come in pairs: a latitude without its longitude places nothing (routing would take
 * the address for one without coordinates). For an object schema's options.
 */
export const COORDINATES_TOGETHER = { dependencies: { lat: ['lon'], lon: ['lat'] } } as const;
