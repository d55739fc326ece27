import { Type } from 'typebox';
import {
  InstantQuery,
  IsoDate,
  LocationCode,
  NonEmptyText,
  Nullable,
  SkuCode,
  Text,
  Timestamp,
} from './common.schema.js';
import { movementTypes } from '../../domain/inventory/movement.js';

const Counters = {
  onHand: Type.Integer(),
  allocated: Type.Integer(),
  quarantined: Type.Integer(),
};

/** A ledger filter by movement type: an unknown type is a 400, not an empty page. */
export const MovementTypeFilter = Type.Union(movementTypes.map((t) => Type.Literal(t)));

export const PostMovementBody = Type.Object(
  {
    type: Type.Union(
      [
        Type.Literal('receipt'),
        Type.Literal('adjustment'),
        Type.Literal('transfer'),
        Type.Literal('quarantine'),
        Type.Literal('quarantine_release'),
        Type.Literal('scrap'),
      ],
      {
        description:
          '`adjustment` takes a signed quantity; the others a positive one. `transfer` moves stock into transit towards `toLocation`.',
      },
    ),
    sku: SkuCode,
    location: LocationCode,
    quantity: Type.Integer({
      minimum: -1_000_000_000,
      maximum: 1_000_000_000,
      description: 'Whole units, never zero; negative only for `adjustment`',
    }),
    reason: Type.Optional(
      Text({
        maxLength: 500,
        description: 'Reason code or note, e.g. `damaged`, `found`, `supplier delivery`',
      }),
    ),
    lot: Type.Optional(NonEmptyText(64, 'Lot (batch) code; required for lot-tracked SKUs')),
    expiresOn: Type.Optional(IsoDate),
    toLocation: Type.Optional(LocationCode),
    bin: Type.Optional(NonEmptyText(40)),
    reference: Type.Optional(
      Type.Object({ type: NonEmptyText(40), id: NonEmptyText(100) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

export const MovementResponse = Type.Object({
  id: Type.String(),
  type: Type.String(),
  sku: Type.String(),
  location: Type.String(),
  lot: Nullable(Type.String()),
  quantity: Type.Integer(),
  onHandDelta: Type.Integer(),
  allocatedDelta: Type.Integer(),
  quarantinedDelta: Type.Integer(),
  reason: Nullable(Type.String()),
  reference: Nullable(Type.Object({ type: Type.String(), id: Type.String() })),
  actor: Type.String({ description: 'Who did it: `user:usr_…`, `key:key_…`, `system:…`' }),
  actorName: Type.Optional(
    Nullable(
      Type.String({
        description:
          "On ledger lists (GET …/movements): the user's or API key's name for `user:` and `key:` actors; else null",
      }),
    ),
  ),
  requestId: Nullable(Type.String()),
  createdAt: Timestamp,
});

export const PostMovementResponse = Type.Intersect([
  MovementResponse,
  Type.Object({
    balance: Type.Object(Counters),
    transfer: Type.Optional(
      Type.Object({ id: Type.String(), status: Type.String(), toLocation: Type.String() }),
    ),
  }),
]);

const LotStock = Type.Object({
  lot: Type.String(),
  expiresOn: Nullable(Type.String()),
  status: Type.String(),
  sellable: Type.Boolean(),
  bin: Nullable(Type.String()),
  ...Counters,
  available: Type.Integer(),
});

export const StockResponse = Type.Object({
  sku: Type.String(),
  isBundle: Type.Boolean(),
  asOf: Type.Optional(Timestamp),
  locations: Type.Array(
    Type.Object({
      location: Type.String(),
      sellable: Type.Boolean(),
      bin: Nullable(Type.String()),
      ...Counters,
      safetyStock: Type.Integer(),
      available: Type.Integer(),
      incoming: Type.Optional(
        Type.Integer({ description: 'Units in transit towards this location; present when non-zero' }),
      ),
      lots: Type.Optional(Type.Array(LotStock)),
    }),
  ),
  totals: Type.Object({ ...Counters, available: Type.Integer(), incoming: Type.Optional(Type.Integer()) }),
  components: Type.Optional(
    Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer(), available: Type.Integer() })),
  ),
});

export const StockParams = Type.Object({ sku: SkuCode }, { additionalProperties: false });

export const StockQuery = Type.Object(
  {
    asOf: Type.Optional(InstantQuery('Reconstruct stock from the ledger as of this instant')),
  },
  { additionalProperties: false },
);

export const SafetyStockParams = Type.Object(
  { sku: SkuCode, location: LocationCode },
  { additionalProperties: false },
);
export const SafetyStockBody = Type.Object(
  { quantity: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }) },
  { additionalProperties: false },
);
