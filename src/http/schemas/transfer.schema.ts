import { Type } from 'typebox';
import { LocationCode, NonEmptyText, Nullable, SkuCode, Timestamp, IdCursor } from './common.schema.js';
import { MovementResponse } from './stock.schema.js';

const TransferStatus = Type.Union([Type.Literal('in_transit'), Type.Literal('received')]);

export const TransferResponse = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  lot: Nullable(Type.String()),
  fromLocation: Type.String(),
  toLocation: Type.String(),
  quantity: Type.Integer(),
  status: TransferStatus,
  createdAt: Timestamp,
  receivedAt: Nullable(Timestamp),
  movements: Type.Optional(
    Type.Array(MovementResponse, {
      description: 'The ledger rows of the transfer: its transfer_out, then its transfer_in',
    }),
  ),
});

export const TransferParams = Type.Object(
  { id: NonEmptyText(64, 'Transfer id, e.g. `trf_…`') },
  { additionalProperties: false },
);

export const TransferQuery = Type.Object(
  {
    status: Type.Optional(TransferStatus),
    sku: Type.Optional(SkuCode),
    fromLocation: Type.Optional(LocationCode),
    toLocation: Type.Optional(LocationCode),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(IdCursor('transfer')),
  },
  { additionalProperties: false },
);
