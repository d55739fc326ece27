import { Type } from 'typebox';
import { LocationCode, NonEmptyText, Nullable, Text, Timestamp, CountryCode } from './common.schema.js';

export const Address = Type.Object(
  {
    line1: Type.Optional(Text({ maxLength: 200 })),
    line2: Type.Optional(Text({ maxLength: 200 })),
    city: Type.Optional(Text({ maxLength: 100 })),
    region: Type.Optional(Text({ maxLength: 100 })),
    postalCode: Type.Optional(Text({ maxLength: 20 })),
    country: Type.Optional(CountryCode),
  },
  { additionalProperties: false },
);

const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Lon = Type.Number({ minimum: -180, maximum: 180 });
const BinCodes = Type.Array(NonEmptyText(40), { maxItems: 2000, description: 'Bin codes in pick order' });

export const CreateLocationBody = Type.Object(
  {
    code: LocationCode,
    name: NonEmptyText(200),
    kind: Type.Union([
      Type.Literal('warehouse'),
      Type.Literal('store'),
      Type.Literal('quarantine'),
      Type.Literal('returns'),
      Type.Literal('transit'),
    ]),
    address: Type.Optional(Address),
    lat: Type.Optional(Lat),
    lon: Type.Optional(Lon),
    sellable: Type.Optional(
      Type.Boolean({
        description: 'Whether stock here may be sold; defaults to true for warehouses and stores',
      }),
    ),
    bins: Type.Optional(BinCodes),
  },
  { additionalProperties: false },
);

export const UpdateLocationBody = Type.Object(
  {
    name: Type.Optional(NonEmptyText(200)),
    sellable: Type.Optional(Type.Boolean()),
    address: Type.Optional(Address),
    lat: Type.Optional(Lat),
    lon: Type.Optional(Lon),
    bins: Type.Optional(
      Type.Array(NonEmptyText(40), {
        maxItems: 2000,
        description:
          'Bins to add, after the existing ones in pick order. Bins are never removed here: stock and counts may refer to them.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const LocationResponse = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  address: Nullable(Address),
  lat: Nullable(Type.Number()),
  lon: Nullable(Type.Number()),
  sellable: Type.Boolean(),
  bins: Type.Array(Type.Object({ code: Type.String(), sortOrder: Type.Integer() })),
  version: Type.Integer(),
  createdAt: Timestamp,
});

export const LocationParams = Type.Object({ code: LocationCode }, { additionalProperties: false });
