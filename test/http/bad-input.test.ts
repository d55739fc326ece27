/**
 * Hostile and malformed requests through the real server, on every dialect. Each must get a 4xx
 * RFC 9457 problem+json naming the field at fault, write nothing, and never a 5xx. Also: keys
 * and roles, idempotency under concurrency, ETag/If-Match, the OpenAPI document, and which
 * routes are public.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SKU = 'BAD-1';
const LOT_SKU = 'BAD-LOT';
const BUNDLE = 'BAD-KIT';
const LOC = 'WH-BAD';
const OTHER = 'WH-BAD-2';
const LONG = 'x'.repeat(10_000);

const receipt = { type: 'receipt', sku: SKU, location: LOC, quantity: 5 };
const without = (o: Record<string, unknown>, key: string) => {
  const { [key]: _dropped, ...rest } = o;
  return rest;
};

type Case = {
  name: string;
  method?: string;
  path?: string;
  /** A JSON value to send, or `raw` bytes/text with `contentType`. */
  body?: unknown;
  raw?: string | Uint8Array;
  /** What the problem's detail must say, and its instance. */
  detail?: RegExp;
  instance?: RegExp;
  contentType?: string | null;
  headers?: Record<string, string>;
  status: number | number[];
  code?: string;
  /** The field the problem must name; null when none is at fault (e.g. a content type). */
  field: string | null;
};

const movementCases: Case[] = [
  // Quantities
  { name: 'negative quantity', body: { ...receipt, quantity: -3 }, status: 400, field: 'quantity' },
  { name: 'zero quantity', body: { ...receipt, quantity: 0 }, status: 400, field: 'quantity' },
  { name: 'fractional quantity', body: { ...receipt, quantity: 2.5 }, status: 400, field: 'quantity' },
  { name: 'huge quantity', body: { ...receipt, quantity: 1e12 }, status: 400, field: 'quantity' },
  {
    name: 'quantity beyond 2^53',
    raw: '{"type":"receipt","sku":"BAD-1","location":"WH-BAD","quantity":9007199254740993}',
    status: 400,
    field: 'quantity',
  },
  {
    name: 'quantity that overflows to Infinity',
    raw: '{"type":"receipt","sku":"BAD-1","location":"WH-BAD","quantity":1e400}',
    status: 400,
    field: 'quantity',
  },
  { name: 'numeric string quantity', body: { ...receipt, quantity: '5' }, status: 400, field: 'quantity' },
  { name: 'non-numeric quantity', body: { ...receipt, quantity: 'five' }, status: 400, field: 'quantity' },
  { name: 'null quantity', body: { ...receipt, quantity: null }, status: 400, field: 'quantity' },
  { name: 'boolean quantity', body: { ...receipt, quantity: true }, status: 400, field: 'quantity' },
  { name: 'array quantity', body: { ...receipt, quantity: [5] }, status: 400, field: 'quantity' },
  { name: 'object quantity', body: { ...receipt, quantity: {} }, status: 400, field: 'quantity' },
  { name: 'missing quantity', body: without(receipt, 'quantity'), status: 400, field: 'quantity' },
  {
    name: 'zero adjustment',
    body: { ...receipt, type: 'adjustment', quantity: 0 },
    status: 400,
    field: 'quantity',
  },
  {
    name: 'negative transfer',
    body: { ...receipt, type: 'transfer', quantity: -1, toLocation: OTHER },
    status: 400,
    field: 'quantity',
  },
  {
    name: 'adjustment beyond stock on hand',
    body: { ...receipt, type: 'adjustment', quantity: -1000, reason: 'lost' },
    status: 409,
    code: 'NEGATIVE_STOCK',
    field: 'quantity',
  },
  // SKUs
  { name: 'missing sku', body: without(receipt, 'sku'), status: 400, field: 'sku' },
  { name: 'null sku', body: { ...receipt, sku: null }, status: 400, field: 'sku' },
  { name: 'empty sku', body: { ...receipt, sku: '' }, status: 400, field: 'sku' },
  { name: 'numeric sku', body: { ...receipt, sku: 123 }, status: 400, field: 'sku' },
  {
    name: 'unknown sku',
    body: { ...receipt, sku: 'NOPE-404' },
    status: 422,
    code: 'UNKNOWN_SKU',
    field: 'sku',
  },
  { name: 'sku with a NUL byte', body: { ...receipt, sku: 'BAD\u0000-1' }, status: 400, field: 'sku' },
  { name: '10,000-character sku', body: { ...receipt, sku: LONG }, status: 400, field: 'sku' },
  { name: 'sku with a lone surrogate', body: { ...receipt, sku: 'BAD-\ud800' }, status: 400, field: 'sku' },
  { name: 'bundle sku', body: { ...receipt, sku: BUNDLE }, status: 400, field: 'sku' },
  // Locations
  {
    name: 'unknown location',
    body: { ...receipt, location: 'NOWHERE' },
    status: 422,
    code: 'UNKNOWN_LOCATION',
    field: 'location',
  },
  {
    name: 'location with a NUL byte',
    body: { ...receipt, location: 'WH\u0000' },
    status: 400,
    field: 'location',
  },
  { name: '10,000-character location', body: { ...receipt, location: LONG }, status: 400, field: 'location' },
  {
    name: 'unknown transfer destination',
    body: { ...receipt, type: 'transfer', toLocation: 'NOWHERE' },
    status: 422,
    field: 'toLocation',
  },
  {
    name: 'transfer to its own location',
    body: { ...receipt, type: 'transfer', toLocation: LOC.toLowerCase() },
    status: 400,
    field: 'toLocation',
  },
  {
    name: 'transfer without destination',
    body: { ...receipt, type: 'transfer' },
    status: 400,
    field: 'toLocation',
  },
  {
    name: 'destination on a receipt',
    body: { ...receipt, toLocation: OTHER },
    status: 400,
    field: 'toLocation',
  },
  // Lots
  { name: 'lot on an untracked sku', body: { ...receipt, lot: 'L1' }, status: 400, field: 'lot' },
  {
    name: 'expiry on an untracked sku',
    body: { ...receipt, expiresOn: '2030-01-01' },
    status: 400,
    field: 'expiresOn',
  },
  {
    name: 'lot-tracked sku without a lot',
    body: { ...receipt, sku: LOT_SKU },
    status: 422,
    code: 'LOT_REQUIRED',
    field: 'lot',
  },
  {
    name: 'impossible expiry date',
    body: { ...receipt, sku: LOT_SKU, lot: 'NEW-1', expiresOn: '2031-02-31' },
    status: 400,
    field: 'expiresOn',
  },
  {
    name: 'expiry that is not a date',
    body: { ...receipt, sku: LOT_SKU, lot: 'NEW-1', expiresOn: 'tomorrow' },
    status: 400,
    field: 'expiresOn',
  },
  {
    name: 'removing from a lot never received',
    body: { ...receipt, type: 'adjustment', sku: LOT_SKU, lot: 'GHOST', quantity: -1 },
    status: 422,
    code: 'UNKNOWN_LOT',
    field: 'lot',
  },
  // Free text
  { name: '10,000-character reason', body: { ...receipt, reason: LONG }, status: 400, field: 'reason' },
  { name: 'reason with a NUL byte', body: { ...receipt, reason: 'a\u0000b' }, status: 400, field: 'reason' },
  {
    name: 'reason with a lone surrogate',
    body: { ...receipt, reason: '\udc00' },
    status: 400,
    field: 'reason',
  },
  // Shape
  { name: 'unknown extra field', body: { ...receipt, foo: 1 }, status: 400, field: 'foo' },
  {
    name: 'unknown nested field',
    body: { ...receipt, reference: { type: 'po', id: '1', extra: true } },
    status: 400,
    field: 'reference.extra',
  },
  { name: 'unknown movement type', body: { ...receipt, type: 'teleport' }, status: 400, field: 'type' },

  { name: 'movement type not postable', body: { ...receipt, type: 'shipment' }, status: 400, field: 'type' },
  { name: 'missing type', body: without(receipt, 'type'), status: 400, field: 'type' },
  // Bodies
  { name: 'malformed JSON', raw: '{"type":"receipt",', status: 400, field: '(body)' },
  { name: 'JSON null body', raw: 'null', status: 400, field: '(body)' },
  { name: 'JSON array body', raw: '[]', status: 400, field: '(body)' },
  { name: 'JSON string body', raw: '"receipt"', status: 400, field: '(body)' },
  { name: 'empty JSON body', raw: '', status: 400, field: '(body)' },
  {
    name: 'prototype pollution',
    raw: '{"type":"receipt","sku":"BAD-1","location":"WH-BAD","quantity":5,"__proto__":{"admin":true}}',
    status: 400,
    code: 'MALFORMED_BODY',
    field: '(body)',
    detail: /"__proto__" key/,
  },
  {
    name: 'constructor.prototype pollution',
    raw: '{"type":"receipt","sku":"BAD-1","location":"WH-BAD","quantity":5,"constructor":{"prototype":{"admin":true}}}',
    status: 400,
    code: 'MALFORMED_BODY',
    field: '(body)',
    detail: /"constructor" with a "prototype"/,
  },
  {
    name: 'deeply nested JSON',
    raw: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    status: 400,
    field: '(body)',
  },
  {
    name: 'text/plain body',
    raw: JSON.stringify(receipt),
    contentType: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Type',
    detail:
      /^Content-Type text\/plain is not supported: send the body as JSON with Content-Type: application\/json\.$/,
  },
  {
    name: 'body that is not UTF-8 (Latin-1 bytes)',
    raw: Buffer.from(JSON.stringify({ ...receipt, reason: 'M\u00fcller' }), 'latin1'),
    status: 400,
    code: 'MALFORMED_BODY',
    field: '(body)',
  },
  {
    name: 'Latin-1 bytes declared as Latin-1 (JSON is UTF-8 whatever the charset says)',
    raw: Buffer.from(JSON.stringify({ ...receipt, reason: 'M\u00fcller' }), 'latin1'),
    contentType: 'application/json; charset=iso-8859-1',
    status: 400,
    code: 'MALFORMED_BODY',
    field: '(body)',
  },
  {
    name: 'a gzip-compressed JSON body: the coding is refused (415), not the bytes as "not UTF-8"',
    raw: gzipSync(JSON.stringify(receipt)),
    headers: { 'content-encoding': 'gzip' } as Record<string, string>,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Encoding',
  },
  {
    name: 'form-encoded body',
    raw: 'type=receipt&sku=BAD-1&location=WH-BAD&quantity=5',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Type',
  },
  {
    name: 'an empty form-encoded body (curl -d "") is no body: the required fields are named',
    raw: '',
    contentType: 'application/x-www-form-urlencoded',
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'type',
  },
  {
    name: 'no body at all: the required fields are named',
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'type',
  },
  {
    name: 'multipart body',
    raw: '--b\r\nContent-Disposition: form-data; name="quantity"\r\n\r\n5\r\n--b--\r\n',
    contentType: 'multipart/form-data; boundary=b',
    status: 415,
    field: 'Content-Type',
  },
  {
    name: 'body without a content type',
    raw: new TextEncoder().encode(JSON.stringify(receipt)),
    contentType: null,
    status: 415,
    field: 'Content-Type',
    detail: /^A body without a Content-Type is not supported/,
  },
  {
    name: 'body over 1 MiB',
    body: { ...receipt, reason: 'y'.repeat(1024 * 1024 + 10) },
    status: 413,
    code: 'BODY_TOO_LARGE',
    field: '(body)',
    detail: /^The request body is larger than the 1048576 bytes accepted\.$/,
  },
  // Headers
  {
    name: 'Idempotency-Key with a space',
    body: receipt,
    headers: { 'idempotency-key': 'two words' },
    status: 400,
    field: 'Idempotency-Key',
  },
  {
    name: 'Idempotency-Key of 10,000 characters',
    body: receipt,
    headers: { 'idempotency-key': LONG },
    status: 400,
    field: 'Idempotency-Key',
  },
  {
    name: 'Idempotency-Key with non-ASCII',
    body: receipt,
    headers: { 'idempotency-key': 'cl\u00e9' },
    status: 400,
    field: 'Idempotency-Key',
  },
  {
    name: 'empty Idempotency-Key',
    body: receipt,
    headers: { 'idempotency-key': '' },
    status: 400,
    field: 'Idempotency-Key',
  },
].map((c) => ({ method: 'POST', path: '/api/v1/stock/movements', ...c }));

const otherWriteCases: Case[] = [
  // SKUs that differ only in case or width collide with BAD-1.
  ...['bad-1', 'ＢＡＤ-１', ' BAD-1 ', 'Bad-1'].map((sku) => ({
    name: `SKU ${JSON.stringify(sku)} colliding with ${SKU}`,
    method: 'POST',
    path: '/api/v1/skus',
    body: { sku, name: 'Duplicate' },
    status: 409,
    code: 'SKU_EXISTS',
    field: 'sku',
  })),
  ...['4006381333931', '04006381333931'].map((barcode) => ({
    name: `barcode ${barcode}: the GTIN of ${SKU}`,
    path: '/api/v1/skus',
    body: { sku: 'NEW-GTIN', name: 'x', barcodes: [barcode] },
    status: 409,
    code: 'BARCODE_EXISTS',
    field: 'barcodes',
    ...(barcode.length === 14 ? { detail: /04006381333931 is GTIN 4006381333931/ } : {}),
  })),
  ...(['channel', 'externalId'] as const).map((field) => ({
    name: `an order whose ${field} is only spaces`,
    path: '/api/v1/orders',
    body: {
      customer: { email: 'blank@example.com' },
      currency: 'USD',
      lines: [{ sku: SKU, quantity: 1, unitPriceMinor: 100 }],
      [field]: '   ',
    },
    status: 400,
    field,
    detail: new RegExp(`${field} must not be blank`),
  })),
  ...(['paid', 'authorized'] as const).map((status) => ({
    name: `a payment ${status} for 0`,
    path: '/api/v1/orders',
    body: {
      customer: { email: 'zero@example.com' },
      currency: 'USD',
      lines: [{ sku: SKU, quantity: 1, unitPriceMinor: 100 }],
      payments: [{ provider: 'manual', amountMinor: 0, status }],
    },
    status: 400,
    field: 'payments.0.amountMinor',
    detail: new RegExp(`must be above 0 for a payment that is ${status}`),
  })),
  ...(['lat', 'lon'] as const).map((given) => ({
    name: `a shipping address with ${given} alone`,
    path: '/api/v1/orders',
    body: {
      customer: { email: 'half@example.com' },
      currency: 'USD',
      shippingAddress: {
        line1: '1 Main St',
        city: 'Springfield',
        postalCode: '12345',
        country: 'US',
        [given]: 40,
      },
      lines: [{ sku: SKU, quantity: 1, unitPriceMinor: 100 }],
    },
    status: 400,
    field: `shippingAddress.${given === 'lat' ? 'lon' : 'lat'}`,
    detail: new RegExp(`is required when ${given} is given`),
  })),
  {
    name: 'a location with a latitude alone',
    path: '/api/v1/locations',
    body: { code: 'WH-HALF', name: 'Half', kind: 'warehouse', lat: 40 },
    status: 400,
    field: 'lon',
    detail: /lat and lon go together/,
  },
  {
    name: 'a location changed to a latitude without a longitude',
    method: 'PATCH',
    path: `/api/v1/locations/${OTHER}`,
    body: { lat: 40 },
    status: 400,
    field: 'lon',
    detail: /lat and lon go together/,
  },
  // Two capitals are not enough: an unassigned code, a region or a typo is no place to ship to.
  ...['XX', 'UK', 'EU', 'us', 'USA'].map((country) => ({
    name: `an order shipped to country ${country}`,
    path: '/api/v1/orders',
    body: {
      customer: { email: 'nowhere@example.com' },
      currency: 'USD',
      shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country },
      lines: [{ sku: SKU, quantity: 1, unitPriceMinor: 100 }],
    },
    status: 400,
    field: 'shippingAddress.country',
    detail: /assigned ISO 3166-1 alpha-2 country code/,
  })),
  {
    name: 'a location in country XX',
    path: '/api/v1/locations',
    body: { code: 'WH-NOWHERE', name: 'Nowhere', address: { country: 'XX' } },
    status: 400,
    field: 'address.country',
  },
  {
    name: 'SKU of a zero-width space',
    path: '/api/v1/skus',
    body: { sku: '\u200b', name: 'x' },
    status: 400,
    field: 'sku',
  },
  {
    name: 'location code with a zero-width joiner',
    path: '/api/v1/locations',
    body: { code: 'WH\u200d2', name: 'x', kind: 'warehouse' },
    status: 400,
    field: 'code',
  },
  {
    name: 'two pack sizes with one name',
    path: '/api/v1/skus',
    body: {
      sku: 'NEW-PACKS',
      name: 'x',
      packs: [
        { name: 'Case', quantity: 6 },
        { name: 'case ', quantity: 12 },
      ],
    },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'packs.1.name',
  },
  {
    name: 'an edit with two pack sizes of one name',
    method: 'PATCH',
    path: `/api/v1/skus/${LOT_SKU}`,
    body: {
      packs: [
        { name: 'Box', quantity: 2 },
        { name: 'Box', quantity: 3 },
      ],
    },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'packs.1.name',
  },
  {
    name: 'a pack barcode that is also a unit barcode of the same SKU',
    path: '/api/v1/skus',
    body: {
      sku: 'NEW-PACKS',
      name: 'x',
      barcodes: ['96385074'],
      packs: [{ name: 'Case', quantity: 6, barcode: '96385074' }],
    },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'packs.0.barcode',
  },
  {
    name: `an edit giving ${LOT_SKU} the GTIN of ${SKU}, written as GTIN-14`,
    method: 'PATCH',
    path: `/api/v1/skus/${LOT_SKU}`,
    body: { barcodes: ['04006381333931'] },
    status: 409,
    code: 'BARCODE_EXISTS',
    field: 'barcodes',
  },
  {
    name: `an edit giving ${LOT_SKU} a pack whose barcode is ${SKU}'s`,
    method: 'PATCH',
    path: `/api/v1/skus/${LOT_SKU}`,
    body: { packs: [{ name: 'Case', quantity: 6, barcode: '4006381333931' }] },
    status: 409,
    code: 'BARCODE_EXISTS',
    field: 'barcodes',
  },
  {
    name: 'SKU with whitespace inside',
    path: '/api/v1/skus',
    body: { sku: 'BAD 2', name: 'x' },
    status: 400,
    field: 'sku',
  },
  {
    name: 'SKU with a NUL byte',
    path: '/api/v1/skus',
    body: { sku: 'B\u0000', name: 'x' },
    status: 400,
    field: 'sku',
  },
  {
    name: 'SKU with a tab',
    path: '/api/v1/skus',
    body: { sku: 'B\tC', name: 'x' },
    status: 400,
    field: 'sku',
  },
  // `.` and `..` are path segments a client resolves away: such a SKU could never be opened.
  ...['.', '..', '...', ' .. ', '\uff0e\uff0e'].map((sku) => ({
    name: `SKU made only of dots ${JSON.stringify(sku)}`,
    path: '/api/v1/skus',
    body: { sku, name: 'x' },
    status: 400,
    code: 'VALIDATION_FAILED',
    detail: /only dots/,
    field: 'sku',
  })),
  ...['.', '..'].map((code) => ({
    name: `location code made only of dots ${JSON.stringify(code)}`,
    path: '/api/v1/locations',
    body: { code, name: 'x', kind: 'warehouse' },
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'code',
  })),
  {
    name: '10,000-character SKU name',
    path: '/api/v1/skus',
    body: { sku: 'NEW-1', name: LONG },
    status: 400,
    field: 'name',
  },
  {
    name: 'negative price',
    path: '/api/v1/skus',
    body: { sku: 'NEW-1', name: 'x', priceMinor: -1 },
    status: 400,
    field: 'priceMinor',
  },
  {
    name: 'fractional price',
    path: '/api/v1/skus',
    body: { sku: 'NEW-1', name: 'x', priceMinor: 9.99 },
    status: 400,
    field: 'priceMinor',
  },
  {
    name: 'lower-case currency',
    path: '/api/v1/skus',
    body: { sku: 'NEW-1', name: 'x', currency: 'usd' },
    status: 400,
    field: 'currency',
  },
  {
    name: 'unknown currency',
    path: '/api/v1/skus',
    body: { sku: 'NEW-1', name: 'x', currency: 'XQQ' },
    status: 400,
    field: 'currency',
  },
  {
    name: 'GTIN with a wrong check digit',
    path: '/api/v1/skus',
    body: { sku: 'NEW-1', name: 'x', barcodes: ['4006381333932'] },
    status: 400,
    field: 'barcodes.0',
  },
  {
    name: 'unknown bundle component',
    path: '/api/v1/skus',
    body: { sku: 'NEW-1', name: 'x', components: [{ sku: 'NOPE', quantity: 1 }] },
    status: 422,
    field: 'components.0.sku',
  },
  // Locations
  {
    name: 'location code colliding by case',
    path: '/api/v1/locations',
    body: { code: 'wh-bad', name: 'x', kind: 'warehouse' },
    status: 409,
    code: 'LOCATION_EXISTS',
    field: 'code',
  },
  {
    name: 'unknown location kind',
    path: '/api/v1/locations',
    body: { code: 'NEW-LOC', name: 'x', kind: 'moon' },
    status: 400,
    field: 'kind',
  },
  {
    name: 'latitude out of range',
    path: '/api/v1/locations',
    body: { code: 'NEW-LOC', name: 'x', kind: 'warehouse', lat: 91, lon: 0 },
    status: 400,
    field: 'lat',
  },
  // Safety stock
  {
    name: 'negative safety stock',
    method: 'PUT',
    path: `/api/v1/stock/${SKU}/safety-stock/${LOC}`,
    body: { quantity: -1 },
    status: 400,
    field: 'quantity',
  },
  {
    name: 'safety stock at an unknown location',
    method: 'PUT',
    path: `/api/v1/stock/${SKU}/safety-stock/NOWHERE`,
    body: { quantity: 1 },
    status: 422,
    field: 'location',
  },
  // SKU updates
  {
    name: 'empty SKU update',
    method: 'PATCH',
    path: `/api/v1/skus/${SKU}`,
    body: {},
    status: 400,
    field: '(body)',
  },
  {
    name: 'malformed If-Match',
    method: 'PATCH',
    path: `/api/v1/skus/${SKU}`,
    body: { name: 'Renamed' },
    headers: { 'if-match': 'abc' },
    status: 400,
    field: 'If-Match',
  },
  {
    name: 'stale If-Match',
    method: 'PATCH',
    path: `/api/v1/skus/${SKU}`,
    body: { name: 'Renamed' },
    headers: { 'if-match': '"999"' },
    status: 412,
    code: 'VERSION_MISMATCH',
    field: null,
  },
  // Counts and transfers
  {
    name: 'count at an unknown location',
    path: '/api/v1/counts',
    body: { location: 'NOWHERE' },
    status: 422,
    field: 'location',
  },
  {
    name: 'count of an unknown SKU',
    path: '/api/v1/counts',
    body: { location: LOC, skus: [SKU, 'NOPE'] },
    status: 422,
    field: 'skus.1',
  },
  {
    name: 'count skus not a list',
    path: '/api/v1/counts',
    body: { location: LOC, skus: SKU },
    status: 400,
    field: 'skus',
  },
  {
    name: 'count bin with a NUL byte',
    path: '/api/v1/counts',
    body: { location: LOC, bins: ['A\u0000'] },
    status: 400,
    field: 'bins.0',
  },
  {
    name: '10,000-character count note',
    path: '/api/v1/counts',
    body: { location: LOC, note: LONG },
    status: 400,
    field: 'note',
  },
  {
    name: 'count line on an unknown count',
    path: '/api/v1/counts/cnt_nope/lines',
    body: { sku: SKU, counted: 1 },
    status: 404,
    field: 'id',
  },
  {
    name: 'receiving an unknown transfer',
    path: '/api/v1/transfers/trf_nope/receive',
    status: 404,
    field: 'id',
  },
  { name: 'NUL byte in a transfer id', path: '/api/v1/transfers/a%00b/receive', status: 400, field: 'id' },
  { name: 'NUL byte in a count id', path: '/api/v1/counts/%00/approve', status: 400, field: 'id' },
  {
    name: '10,000-character transfer id',
    path: `/api/v1/transfers/${LONG}/receive`,
    status: 400,
    field: 'id',
  },
].map((c) => ({ method: 'POST', ...c }));

const readCases: Case[] = [
  {
    name: 'a 10,000-character SKU in the path (named, and cut in the answer, not echoed whole)',
    path: `/api/v1/skus/${'A'.repeat(10_000)}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'sku',
    detail: /^The params is invalid: sku must be at most 64 characters$/,
    instance: /^\/api\/v1\/skus\/A{187}$/,
  },
  { name: '10,000-character location code', path: `/api/v1/locations/${LONG}`, status: 400, field: 'code' },
  { name: '10,000-character count id', path: `/api/v1/counts/${LONG}`, status: 400, field: 'id' },
  {
    name: '10,000-character SKU of a ledger',
    path: `/api/v1/stock/${LONG}/movements`,
    status: 400,
    field: 'sku',
  },
  { name: 'NUL byte in a SKU path', path: '/api/v1/stock/BAD%001', status: 400, field: 'sku' },
  { name: 'NUL byte in a SKU resource', path: '/api/v1/skus/%00', status: 400, field: 'sku' },
  {
    name: 'lone surrogate in a path',
    path: '/api/v1/skus/%ED%A0%80',
    status: 400,
    code: 'BAD_URL',
    field: '(path)',
  },
  { name: 'broken percent-encoding in a path', path: '/api/v1/stock/%E0%A4%A', status: 400, field: '(path)' },
  {
    name: '10,000-character path parameter',
    path: `/api/v1/stock/${LONG}`,
    status: 400,
    field: 'sku',
  },
  { name: 'NUL byte in a transfer id', path: '/api/v1/transfers/%00', status: 400, field: 'id' },
  { name: 'NUL byte in a count id', path: '/api/v1/counts/x%00', status: 400, field: 'id' },
  { name: 'unknown SKU', path: '/api/v1/stock/NOPE-404', status: 404, field: 'sku' },
  {
    name: 'asOf that is not an instant',
    path: `/api/v1/stock/${SKU}?asOf=yesterday`,
    status: 400,
    field: 'asOf',
  },
  { name: 'asOf month 13', path: `/api/v1/stock/${SKU}?asOf=2025-13-45`, status: 400, field: 'asOf' },
  { name: 'asOf 30 February', path: `/api/v1/stock/${SKU}?asOf=2027-02-30`, status: 400, field: 'asOf' },
  {
    name: 'asOf 29 February of a common year, as an instant',
    path: `/api/v1/stock/${SKU}?asOf=2027-02-29T12:00:00Z`,
    status: 400,
    field: 'asOf',
  },
  {
    name: 'asOf at 25 o’clock',
    path: `/api/v1/stock/${SKU}?asOf=2027-02-28T25:00:00Z`,
    status: 400,
    field: 'asOf',
  },
  {
    name: 'asOf with a time but no zone',
    path: `/api/v1/stock/${SKU}?asOf=2027-02-28T12:00:00`,
    status: 400,
    field: 'asOf',
  },
  {
    name: 'report from 31 February',
    path: '/api/v1/reports/movements?from=2027-02-31',
    status: 400,
    field: 'from',
  },
  // An unknown enum value is refused, not answered with an empty page.
  ...[
    `/api/v1/stock/${SKU}/movements?type=bogus`,
    '/api/v1/reports/movements?type=bogus',
    '/api/v1/orders?status=bogus',
    '/api/v1/orders?fulfillmentStatus=bogus',
    '/api/v1/orders?paymentStatus=bogus',
    '/api/v1/reports/stock?filter=bogus',
    '/api/v1/reservations?status=bogus',
    '/api/v1/counts?status=bogus',
    '/api/v1/transfers?status=bogus',
  ].map((path) => ({
    name: `unknown value in ${path}`,
    path,
    status: 400,
    code: 'VALIDATION_FAILED',
    detail: /must be one of: /,
    field: /[?&](\w+)=bogus/.exec(path)![1]!,
  })),
  { name: 'limit zero', path: `/api/v1/stock/${SKU}/movements?limit=0`, status: 400, field: 'limit' },
  {
    name: 'limit not a number',
    path: `/api/v1/stock/${SKU}/movements?limit=abc`,
    status: 400,
    field: 'limit',
  },
  { name: 'fractional limit', path: `/api/v1/stock/${SKU}/movements?limit=1.5`, status: 400, field: 'limit' },
  { name: 'huge limit', path: '/api/v1/skus?limit=100000', status: 400, field: 'limit' },
  {
    name: '10,000-character cursor',
    path: `/api/v1/stock/${SKU}/movements?cursor=${LONG}`,
    status: 400,
    field: 'cursor',
  },
  // Another list's cursor (well-formed, another kind of id) used to give an empty page, silently.
  ...[
    ['/api/v1/orders', 'mov'],
    ['/api/v1/customers', 'ord'],
    ['/api/v1/reservations', 'cus'],
    ['/api/v1/transfers', 'res'],
    ['/api/v1/counts', 'trf'],
    ['/api/v1/reports/movements', 'cnt'],
    [`/api/v1/stock/${SKU}/movements`, 'ord'],
  ].map(([list, prefix]) => ({
    name: `a ${prefix}_ cursor on ${list}`,
    path: `${list}?cursor=${prefix}_0190f6c1a2b37c4d8e9f0a1b2c3d4e5f`,
    status: 400,
    detail: /cursor must be the nextCursor of this list's previous page \([a-z]{3}_…\)/,
    field: 'cursor',
  })),
  {
    name: 'unknown query parameter',
    path: `/api/v1/stock/${SKU}/movements?foo=1`,
    status: 400,
    field: 'foo',
  },
  { name: 'NUL byte in a search', path: '/api/v1/skus?q=%00', status: 400, field: 'q' },
  { name: 'unknown transfer status', path: '/api/v1/transfers?status=lost', status: 400, field: 'status' },
  { name: 'negative count limit', path: '/api/v1/counts?limit=-1', status: 400, field: 'limit' },
  { name: 'unknown transfer', path: '/api/v1/transfers/trf_nope', status: 404, field: 'id' },
  { name: 'unknown route', path: '/api/v1/nothing-here', status: 404, code: 'NOT_FOUND', field: null },
].map((c) => ({ method: 'GET', ...c }));

for (const dialect of DIALECTS) {
  describe(`bad input on ${dialect}`, () => {
    let s: TestServer;

    beforeAll(async () => {
      s = await startServer(dialect);
      const must = async (path: string, body: unknown) => {
        const r = await s.request('POST', path, body);
        if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body;
      };
      await must('/api/v1/locations', { code: LOC, name: 'Bad input', kind: 'warehouse', bins: ['A-1'] });
      await must('/api/v1/locations', { code: OTHER, name: 'Other', kind: 'warehouse' });
      await must('/api/v1/skus', { sku: SKU, name: 'Plain', barcodes: ['4006381333931'] });
      await must('/api/v1/skus', { sku: LOT_SKU, name: 'Lots', tracking: 'lot' });
      await must('/api/v1/skus', { sku: BUNDLE, name: 'Kit', components: [{ sku: SKU, quantity: 2 }] });
      await must('/api/v1/stock/movements', receipt);
      await must('/api/v1/stock/movements', { ...receipt, sku: LOT_SKU, lot: 'L1', expiresOn: '2099-01-01' });
    });
    afterAll(async () => s?.close());

    /** Everything a request could have written. */
    async function footprint() {
      const db = s.testDb.database.db;
      const n = async (table: (typeof tables)[number]) => {
        const row = await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        return Number(row.n);
      };
      const tables = [
        'movements',
        'transfers',
        'skus',
        'products',
        'sku_barcodes',
        'bundle_components',
        'locations',
        'bins',
        'lots',
        'counts',
        'count_lines',
        'outbox',
        'idempotency_keys',
        'safety_stock',
      ] as const;
      const counts = Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await n(t)] as const)));
      const balances = await db
        .selectFrom('balances')
        .select(['sku_id', 'location_id', 'lot_id', 'on_hand', 'allocated', 'quarantined'])
        .orderBy('sku_id')
        .orderBy('location_id')
        .orderBy('lot_id')
        .execute();
      const skus = await db.selectFrom('skus').select(['sku', 'name', 'version']).orderBy('sku').execute();
      return { counts, balances, skus };
    }

    async function send(c: Case): Promise<{ status: number; headers: Headers; body: any }> {
      const headers: Record<string, string> = { authorization: `Bearer ${s.adminKey}`, ...(c.headers ?? {}) };
      let body: string | Uint8Array | undefined;
      if (c.raw !== undefined) body = c.raw;
      else if (c.body !== undefined) body = JSON.stringify(c.body);
      if (body !== undefined && c.contentType !== null)
        headers['content-type'] = c.contentType ?? 'application/json';
      const res = await fetch(`${s.url}${c.path}`, {
        method: c.method,
        headers,
        body: body as string | Uint8Array<ArrayBuffer> | undefined,
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, headers: res.headers, body: parsed };
    }

    function expectProblem(c: Case, r: { status: number; headers: Headers; body: any }) {
      const allowed = Array.isArray(c.status) ? c.status : [c.status];
      expect(allowed, `${c.name}: got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`).toContain(
        r.status,
      );
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({
        type: expect.stringMatching(/^https:\/\//),
        title: expect.any(String),
        status: r.status,
        detail: expect.any(String),
        code: expect.any(String),
      });
      if (c.code) expect(r.body.code).toBe(c.code);
      if (c.detail) expect(r.body.detail).toMatch(c.detail);
      if (c.instance) expect(r.body.instance).toMatch(c.instance);
      if (c.field !== null) {
        const fields = (r.body.errors ?? []).map((e: any) => e.field);
        expect(fields, `${c.name}: ${JSON.stringify(r.body)}`).toContain(c.field);
      }
    }

    it.each([...movementCases, ...otherWriteCases])(
      '$name → 4xx problem naming the field; writes nothing',
      async (c) => {
        const before = await footprint();
        const r = await send(c);
        expectProblem(c, r);
        expect(await footprint()).toEqual(before);
      },
    );

    it('accepts UTF-8 JSON whatever charset the client declares, and keeps its text intact', async () => {
      for (const contentType of [
        'application/json; charset=UTF-8',
        'application/json;charset="utf8"',
        'application/json; charset=ISO-8859-1', // older clients' default label for ASCII JSON
      ]) {
        const reason = `Lieferung von M\u00fcller \u2014 ${contentType}`;
        const r = await send({
          name: contentType,
          method: 'POST',
          path: '/api/v1/stock/movements',
          raw: new TextEncoder().encode(JSON.stringify({ ...receipt, quantity: 1, reason })),
          contentType,
          status: 201,
          field: null,
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        expect(r.body.reason).toBe(reason);
      }
    });

    it.each(readCases)('GET $name → 4xx problem', async (c) => {
      expectProblem(c, await send(c));
    });

    it('answers 401 without a key, with a wrong key and with a malformed header; 403 for a readonly key on a write', async () => {
      const before = await footprint();
      const none = await s.request('POST', '/api/v1/stock/movements', receipt, { key: null });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(none.body.code).toBe('UNAUTHENTICATED');
      const wrong = await s.request('POST', '/api/v1/stock/movements', receipt, {
        key: 'kbl_not-a-real-key',
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('UNAUTHENTICATED');
      const basic = await s.request('GET', `/api/v1/stock/${SKU}`, undefined, {
        key: null,
        headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
      });
      expect(basic.status).toBe(401);
      expect((await s.request('GET', `/api/v1/stock/${SKU}`, undefined, { key: null })).status).toBe(401);

      const readonly = await s.keyFor('readonly');
      const forbidden = await s.request('POST', '/api/v1/stock/movements', receipt, { key: readonly });
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(forbidden.body.code).toBe('FORBIDDEN');
      for (const [method, path, body] of [
        ['POST', '/api/v1/skus', { sku: 'RO-1', name: 'x' }],
        ['PATCH', `/api/v1/skus/${SKU}`, { name: 'x' }],
        ['POST', '/api/v1/counts', { location: LOC }],
        ['PUT', `/api/v1/stock/${SKU}/safety-stock/${LOC}`, { quantity: 1 }],
      ] as const) {
        expect((await s.request(method, path, body, { key: readonly })).status, `${method} ${path}`).toBe(
          403,
        );
      }
      expect((await s.request('GET', `/api/v1/stock/${SKU}`, undefined, { key: readonly })).status).toBe(200);
      const after = await footprint();
      // Only the readonly key itself was created, with its `api_key.created` event.
      expect(after.balances).toEqual(before.balances);
      expect({ ...after.counts, idempotency_keys: 0 }).toEqual({
        ...before.counts,
        idempotency_keys: 0,
        outbox: before.counts['outbox']! + 1,
      });
    });

    it('says in words what a field should be, and points at the whole body when the body is at fault', async () => {
      const order = {
        customer: { email: 'words@example.com' },
        currency: 'usd',
        lines: [{ sku: 'ANY', quantity: 1, unitPriceMinor: 100 }],
      };
      const lower = await send({
        name: '',
        method: 'POST',
        path: '/api/v1/orders',
        body: order,
        status: 400,
        field: 'currency',
      });
      expect(lower.body.errors).toEqual([
        {
          field: 'currency',
          pointer: '/currency',
          message: 'must be an ISO-4217 currency code in capitals, e.g. USD',
        },
      ]);
      const spaced = await send({
        name: '',
        method: 'POST',
        path: '/api/v1/orders',
        body: { ...order, currency: 'USD', customer: { email: ' words@example.com' } },
        status: 400,
        field: 'customer.email',
      });
      expect(spaced.body.errors).toEqual([
        {
          field: 'customer.email',
          pointer: '/customer/email',
          message: 'must be an e-mail address, name@domain, without spaces',
        },
      ]);
      const { customer: _customer, ...anonymous } = { ...order, currency: 'USD' };
      const missing = await send({
        name: '',
        method: 'POST',
        path: '/api/v1/orders',
        body: anonymous,
        status: 400,
        field: 'customer',
      });
      expect(missing.body.errors).toEqual([
        { field: 'customer', pointer: '/customer', message: 'is required' },
      ]);
      const broken = await send({
        name: '',
        method: 'POST',
        path: '/api/v1/orders',
        raw: '{"currency":',
        status: 400,
        field: '(body)',
      });
      expect(broken.body.errors).toHaveLength(1);
      expect(broken.body.errors[0]).toMatchObject({ field: '(body)', pointer: '' });
      const odd = await send({
        name: '',
        method: 'POST',
        path: '/api/v1/orders',
        body: { ...order, currency: 'USD', 'a/b~c': 1 },
        status: 400,
        field: 'a/b~c',
      });
      expect(odd.body.errors).toEqual([
        { field: 'a/b~c', pointer: '/a~1b~0c', message: 'is not a known field' },
      ]);

      // Sizes, ranges and types in plain words, not Ajv's "must NOT have fewer than 1 characters"
      // (the Receive dialog with no location chosen).
      const words = async (c: Omit<Case, 'name' | 'status'>) =>
        (
          (await send({ name: '', status: 400, ...c })).body.errors as Array<{
            field: string;
            message: string;
          }>
        ).map((e) => `${e.field} ${e.message}`);
      expect(
        await words({
          method: 'POST',
          path: '/api/v1/stock/movements',
          body: { ...receipt, location: '', quantity: 2.5, reason: LONG },
          field: 'location',
        }),
      ).toEqual([
        'location must not be empty',
        'quantity must be a whole number',
        'reason must be at most 500 characters',
      ]);
      expect(await words({ path: `/api/v1/stock/${SKU}/movements?limit=0`, field: 'limit' })).toEqual([
        'limit must be at least 1',
      ]);
      expect(await words({ path: '/api/v1/skus?limit=100000', field: 'limit' })).toEqual([
        'limit must be at most 500',
      ]);
    });

    it('answers unknown routes with a 404 problem, with or without a key', async () => {
      for (const key of [undefined, null]) {
        const r = await s.request('GET', '/api/v1/does-not-exist', undefined, key === null ? { key } : {});
        expect(r.status).toBe(404);
        expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(r.body.code).toBe('NOT_FOUND');
      }
      const method = await s.request('DELETE', '/api/v1/stock/movements');
      expect(method.status).toBeGreaterThanOrEqual(400);
      expect(method.status).toBeLessThan(500);
    });

    it('creates exactly one movement for 20 concurrent requests with one Idempotency-Key', async () => {
      const db = s.testDb.database.db;
      const count = async () =>
        Number(
          (
            await db
              .selectFrom('movements')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await count();
      const body = { ...receipt, quantity: 3, reason: 'supplier delivery' };
      const key = `idem-${dialect}-${Date.now()}`;
      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          s.request('POST', '/api/v1/stock/movements', body, { headers: { 'idempotency-key': key } }),
        ),
      );
      // One effect: the first creates, a duplicate while it runs gets 409 (retry later), one after it replays.
      const created = replies.filter((r) => r.status === 201);
      const busy = replies.filter((r) => r.status === 409);
      expect(created.length + busy.length).toBe(20);
      expect(created.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
      for (const r of created) expect(r.body).toEqual(created[0]!.body);
      for (const r of busy) expect(r.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      expect(await count()).toBe(before + 1);

      const replay = await s.request('POST', '/api/v1/stock/movements', body, {
        headers: { 'idempotency-key': key },
      });
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(created[0]!.body);

      // The same request written with its keys in another order is the same request.
      const reordered = Object.fromEntries(Object.entries(body).reverse());
      expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(body));
      const again = await s.request('POST', '/api/v1/stock/movements', reordered, {
        headers: { 'idempotency-key': key },
      });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');

      const reused = await s.request(
        'POST',
        '/api/v1/stock/movements',
        { ...body, quantity: 4 },
        { headers: { 'idempotency-key': key } },
      );
      expect(reused.status).toBe(422);
      expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(reused.body.errors[0].field).toBe('Idempotency-Key');
      expect(await count()).toBe(before + 1);
    });

    it('guards SKU updates with ETag / If-Match: a stale version gets 412 and changes nothing', async () => {
      const created = await s.request('POST', '/api/v1/skus', { sku: `ETAG-${dialect}`, name: 'Original' });
      const got = await s.request('GET', `/api/v1/skus/${created.body.sku}`);
      const etag = got.headers.get('etag');
      expect(etag).toBe(`"${got.body.version}"`);
      const first = await s.request(
        'PATCH',
        `/api/v1/skus/${created.body.sku}`,
        { name: 'First' },
        { headers: { 'if-match': etag! } },
      );
      expect(first.status).toBe(200);
      expect(first.headers.get('etag')).toBe(`"${got.body.version + 1}"`);
      const stale = await s.request(
        'PATCH',
        `/api/v1/skus/${created.body.sku}`,
        { name: 'Second' },
        { headers: { 'if-match': etag! } },
      );
      expect(stale.status).toBe(412);
      expect(stale.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(stale.body.code).toBe('VERSION_MISMATCH');
      const now = await s.request('GET', `/api/v1/skus/${created.body.sku}`);
      expect(now.body.name).toBe('First');
    });

    it('compares If-Match strongly (RFC 9110): * and any listed strong ETag match, a weak ETag never does', async () => {
      const sku = (await s.request('POST', '/api/v1/skus', { sku: `IFM-${dialect}`, name: 'v1' })).body.sku;
      const patch = (name: string, ifMatch: string, path = `/api/v1/skus/${sku}`) =>
        s.request('PATCH', path, { name }, { headers: { 'if-match': ifMatch } });
      const current = async () => (await s.request('GET', `/api/v1/skus/${sku}`)).body;
      const v = (await current()).version as number;

      // A weak tag of the current version: 412 problem+json, nothing changed.
      const weak = await patch('weak', `W/"${v}"`);
      expect(weak.status).toBe(412);
      expect(weak.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(weak.body.code).toBe('VERSION_MISMATCH');
      expect(weak.body.detail).toContain('weak');
      expect(await current()).toMatchObject({ name: 'v1', version: v });
      // Weak and foreign strong tags in a list match nothing either.
      expect((await patch('weak list', `W/"${v}", "abc"`)).status).toBe(412);

      // `*` matches any current representation.
      const star = await patch('star', '*');
      expect(star.status).toBe(200);
      expect(star.headers.get('etag')).toBe(`"${v + 1}"`);
      // …but not a resource that is not there: still 404.
      expect((await patch('nobody', '*', '/api/v1/skus/NO-SUCH-SKU')).status).toBe(404);

      // A list matches when any of its strong tags does (a stale one beside it does no harm).
      const listed = await patch('listed', `"${v}", W/"${v + 1}", "${v + 1}"`);
      expect(listed.status).toBe(200);
      expect(listed.headers.get('etag')).toBe(`"${v + 2}"`);
      const stale = await patch('stale list', `"${v}","${v + 1}"`);
      expect(stale.status).toBe(412);
      expect(stale.body.detail).toContain(`is at version ${v + 2}, not ${v} or ${v + 1}`);
      expect(await current()).toMatchObject({ name: 'listed', version: v + 2 });

      // Not * nor a list of entity-tags: 400 naming the header.
      for (const bad of ['*, "1"', `"${v + 2}" "${v + 2}"`, `${v + 2}`, '']) {
        const r = await patch('bad', bad);
        expect(r.status, bad).toBe(400);
        expect(r.body.errors[0].field).toBe('If-Match');
      }
    });

    it('applies the same If-Match rules to locations and orders', async () => {
      const loc = (
        await s.request('POST', '/api/v1/locations', { code: `IFM-${dialect}`, name: 'W', kind: 'warehouse' })
      ).body;
      const lv = (await s.request('GET', `/api/v1/locations/${loc.code}`)).body.version as number;
      const renameLocation = (ifMatch: string) =>
        s.request(
          'PATCH',
          `/api/v1/locations/${loc.code}`,
          { name: 'Renamed' },
          { headers: { 'if-match': ifMatch } },
        );
      expect((await renameLocation(`W/"${lv}"`)).status).toBe(412);
      expect((await renameLocation(`"${lv + 7}", "${lv}"`)).status).toBe(200);
      expect((await renameLocation('*')).status).toBe(200);

      const sku = (
        await s.request('POST', '/api/v1/skus', { sku: `IFM-O-${dialect}`, name: 'o', priceMinor: 100 })
      ).body.sku;
      await s.request('POST', '/api/v1/stock/movements', {
        type: 'receipt',
        sku,
        location: loc.code,
        quantity: 10,
      });
      const order = await s.request('POST', '/api/v1/orders', {
        channel: 'web',
        customer: { email: `ifm-${dialect}@example.com` },
        currency: 'USD',
        lines: [{ sku, quantity: 1, unitPriceMinor: 100 }],
      });
      expect(order.status).toBe(201);
      const ov = order.body.version as number;
      const edit = (quantity: number, ifMatch: string) =>
        s.request(
          'PATCH',
          `/api/v1/orders/${order.body.id}`,
          { lines: [{ sku, quantity }] },
          {
            headers: { 'if-match': ifMatch },
          },
        );
      expect((await edit(2, `W/"${ov}"`)).status).toBe(412);
      expect((await edit(2, `"${ov + 5}", "${ov}"`)).status).toBe(200);
      expect((await edit(3, '*')).status).toBe(200);
    });

    it('serves a structurally valid OpenAPI 3.1 document and the docs page without a key', async () => {
      const r = await s.request('GET', '/api/v1/openapi.json', undefined, { key: null });
      expect(r.status).toBe(200);
      const doc = r.body;
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      for (const path of [
        '/api/v1/skus',
        '/api/v1/skus/{sku}',
        '/api/v1/locations',
        '/api/v1/stock/movements',
        '/api/v1/stock/{sku}',
        '/api/v1/stock/{sku}/movements',
        '/api/v1/transfers',
        '/api/v1/transfers/{id}',
        '/api/v1/transfers/{id}/receive',
        '/api/v1/counts',
        '/api/v1/counts/{id}',
        '/api/v1/counts/{id}/lines',
        '/api/v1/counts/{id}/approve',
        '/api/v1/counts/{id}/cancel',
      ]) {
        expect(doc.paths, path).toHaveProperty([path]);
      }
      // Structure: every operation answers something, declares its path parameters, and every
      // $ref resolves inside the document.
      const methods = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];
      const operationIds = new Set<string>();
      for (const [path, item] of Object.entries<any>(doc.paths)) {
        expect(path.startsWith('/')).toBe(true);
        const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        for (const method of Object.keys(item).filter((k) => methods.includes(k))) {
          const op = item[method];
          expect(Object.keys(op.responses ?? {}).length, `${method} ${path}`).toBeGreaterThan(0);
          for (const code of Object.keys(op.responses)) expect(code).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
          // Errors are RFC 9457 problems, documented with the media type they are sent as.
          for (const [code, response] of Object.entries<any>(op.responses))
            if (/^[45]/.test(code) && response.content)
              expect(Object.keys(response.content), `${method} ${path} ${code}`).toEqual([
                'application/problem+json',
              ]);
          const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])]
            .filter((p: any) => p.in === 'path')
            .map((p: any) => {
              expect(p.required, `${method} ${path} ${p.name}`).toBe(true);
              return p.name;
            });
          expect(declared.sort(), `${method} ${path}`).toEqual([...templated].sort());
          for (const p of op.parameters ?? []) expect(['query', 'header', 'path', 'cookie']).toContain(p.in);
          if (op.operationId) {
            expect(operationIds.has(op.operationId)).toBe(false);
            operationIds.add(op.operationId);
          }
        }
      }
      const refs: string[] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(walk);
        else if (node && typeof node === 'object') {
          for (const [k, v] of Object.entries(node)) {
            if (k === '$ref' && typeof v === 'string') refs.push(v);
            else walk(v);
          }
        }
      };
      walk(doc);
      for (const ref of new Set(refs)) {
        expect(ref, ref).toMatch(/^#\//);
        let target: any = doc;
        for (const part of ref.slice(2).split('/'))
          target = target?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
        expect(target, `unresolved ${ref}`).toBeTypeOf('object');
      }
      expect(JSON.stringify(doc)).not.toContain('def-'); // schemas are named, not anonymous

      const docs = await fetch(`${s.url}/api/docs`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toMatch(/text\/html/);
      expect(await docs.text()).toMatch(/swagger/i);
    });

    it('keeps health and readiness public and metrics behind a key', async () => {
      const health = await s.request('GET', '/healthz', undefined, { key: null });
      expect(health.status).toBe(200);
      const ready = await s.request('GET', '/readyz', undefined, { key: null });
      expect(ready.status).toBe(200);
      expect(ready.body.database).toBe(dialect);
      const anonymous = await s.request('GET', '/metrics', undefined, { key: null });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const metrics = await s.request('GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(String(metrics.body)).toContain('kibble_http_requests_total');
    });
  });
}
