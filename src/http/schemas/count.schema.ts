import { Type } from 'typebox';
import { LocationCode, NonEmptyText, Nullable, SkuCode, Text, Timestamp, IdCursor } from './common.schema.js';
import { MAX_QUANTITY } from '../../domain/quantity.js';

const CountStatus = Type.Union([Type.Literal('open'), Type.Literal('approved'), Type.Literal('cancelled')]);

export const OpenCountBody = Type.Object(
  {
    location: LocationCode,
    skus: Type.Optional(
      Type.Array(SkuCode, { maxItems: 5000, description: 'Count only these SKUs (default: all with stock)' }),
    ),
    bins: Type.Optional(
      Type.Array(NonEmptyText(40), {
        maxItems: 2000,
        description: 'Count only balances kept in these bins',
      }),
    ),
    note: Type.Optional(Text({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const RecordCountLineBody = Type.Object(
  {
    sku: Type.Optional(SkuCode),
    barcode: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'A scanned unit or pack barcode (GTIN or other), or a SKU label; instead of `sku`',
      }),
    ),
    lot: Type.Optional(NonEmptyText(64, 'Lot code; required for lot-tracked SKUs')),
    counted: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_QUANTITY,
        description: 'The quantity found; replaces the line. In packs when a pack barcode is scanned.',
      }),
    ),
    add: Type.Optional(
      Type.Integer({
        minimum: -MAX_QUANTITY,
        maximum: MAX_QUANTITY,
        description:
          'Adds to the counted quantity (negative undoes a mis-scan). In packs for a pack barcode. A scan with neither `counted` nor `add` adds one.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CountLineResponse = Type.Object({
  sku: Type.String(),
  lot: Nullable(Type.String()),
  expected: Type.Integer({ description: 'On hand when the count was opened' }),
  counted: Nullable(Type.Integer()),
  variance: Nullable(Type.Integer({ description: 'counted − expected' })),
  countedAt: Nullable(Timestamp),
  countedBy: Nullable(Type.String()),
  movementId: Nullable(Type.String({ description: 'The count_correction posted on approval' })),
  movedSinceOpened: Type.Integer({
    description:
      'Net on-hand change of this SKU and lot here by other movements since the count was opened. Not 0: the approval posts counted − expected, so a quantity counted after that change posts it twice: recount or correct it first',
  }),
});

export const CountResponse = Type.Object({
  id: Type.String(),
  location: Type.String(),
  status: CountStatus,
  note: Nullable(Type.String()),
  scope: Type.Object({
    skus: Nullable(Type.Array(Type.String())),
    bins: Nullable(Type.Array(Type.String())),
  }),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  approvedAt: Nullable(Timestamp),
  cancelledAt: Nullable(Timestamp),
  closedBy: Nullable(Type.String()),
  summary: Type.Object({
    lines: Type.Integer(),
    counted: Type.Integer(),
    uncounted: Type.Integer(),
    withVariance: Type.Integer(),
    netVariance: Type.Integer(),
  }),
  lines: Type.Optional(Type.Array(CountLineResponse)),
});

export const RecordCountLineResponse = Type.Object({ countId: Type.String(), line: CountLineResponse });

export const CountParams = Type.Object(
  { id: NonEmptyText(64, 'Count id, e.g. `cnt_…`') },
  { additionalProperties: false },
);

export const CountQuery = Type.Object(
  {
    status: Type.Optional(CountStatus),
    location: Type.Optional(LocationCode),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(IdCursor('count')),
  },
  { additionalProperties: false },
);
