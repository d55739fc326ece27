import { Type, type Static } from 'typebox';
import {
  AmountMinor,
  Currency,
  NonEmptyText,
  Nullable,
  PositiveQuantity,
  SkuCode,
  Text,
  Timestamp,
} from './common.schema.js';

const Barcode = Type.String({
  minLength: 4,
  maxLength: 64,
  pattern: '^[\\x21-\\x7e]+$',
  description: 'GTIN (check digit validated) or another printable code',
});
const Dimension = Nullable(Type.Integer({ minimum: 0, maximum: 100_000 }));

const skuFields = {
  name: NonEmptyText(200),
  unit: Type.Optional(NonEmptyText(20, 'Base unit of measure, e.g. `each`, `bag`, `can`')),
  barcodes: Type.Optional(Type.Array(Barcode, { maxItems: 20 })),
  packs: Type.Optional(
    Type.Array(
      Type.Object(
        {
          name: NonEmptyText(40),
          quantity: Type.Integer({ minimum: 2, maximum: 100_000 }),
          barcode: Type.Optional(Barcode),
        },
        { additionalProperties: false },
      ),
      { maxItems: 10, description: 'Pack sizes in base units, e.g. `{name: "case", quantity: 6}`' },
    ),
  ),
  costMinor: Type.Optional(Nullable(AmountMinor)),
  priceMinor: Type.Optional(Nullable(AmountMinor)),
  currency: Type.Optional(Currency),
  taxClass: Type.Optional(Nullable(Text({ maxLength: 40 }))),
  tracking: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('lot'), Type.Literal('serial')])),
  shelfLifeDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 36500 }))),
  minRemainingShelfLifeDays: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 36500,
      description: 'Lots expiring sooner than this are not allocated to orders',
    }),
  ),
  weightGrams: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 10_000_000 }))),
  dimensionsMm: Type.Optional(
    Type.Object(
      { length: Type.Optional(Dimension), width: Type.Optional(Dimension), height: Type.Optional(Dimension) },
      { additionalProperties: false },
    ),
  ),
  active: Type.Optional(Type.Boolean()),
};

export const CreateSkuBody = Type.Object(
  {
    sku: SkuCode,
    ...skuFields,
    productId: Type.Optional(Text({ maxLength: 64 })),
    productName: Type.Optional(NonEmptyText(200)),
    components: Type.Optional(
      Type.Array(Type.Object({ sku: SkuCode, quantity: PositiveQuantity }, { additionalProperties: false }), {
        minItems: 1,
        maxItems: 50,
        description: 'Makes this SKU a bundle/kit of the listed component SKUs',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateSkuBody = Static<typeof CreateSkuBody>;

export const UpdateSkuBody = Type.Object(
  {
    name: Type.Optional(skuFields.name),
    unit: skuFields.unit,
    barcodes: skuFields.barcodes,
    packs: skuFields.packs,
    costMinor: skuFields.costMinor,
    priceMinor: skuFields.priceMinor,
    currency: skuFields.currency,
    taxClass: skuFields.taxClass,
    shelfLifeDays: skuFields.shelfLifeDays,
    minRemainingShelfLifeDays: skuFields.minRemainingShelfLifeDays,
    weightGrams: skuFields.weightGrams,
    dimensionsMm: skuFields.dimensionsMm,
    active: skuFields.active,
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateSkuBody = Static<typeof UpdateSkuBody>;

export const SkuResponse = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  productId: Type.String(),
  name: Type.String(),
  unit: Type.String(),
  barcodes: Type.Array(Type.String()),
  packs: Type.Array(
    Type.Object({ name: Type.String(), quantity: Type.Integer(), barcode: Nullable(Type.String()) }),
  ),
  costMinor: Nullable(Type.Integer()),
  priceMinor: Nullable(Type.Integer()),
  currency: Type.String(),
  taxClass: Nullable(Type.String()),
  tracking: Type.String(),
  shelfLifeDays: Nullable(Type.Integer()),
  minRemainingShelfLifeDays: Type.Integer(),
  weightGrams: Nullable(Type.Integer()),
  dimensionsMm: Type.Object({
    length: Nullable(Type.Integer()),
    width: Nullable(Type.Integer()),
    height: Nullable(Type.Integer()),
  }),
  active: Type.Boolean(),
  isBundle: Type.Boolean(),
  components: Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer() })),
  version: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const SkuParams = Type.Object({ sku: SkuCode }, { additionalProperties: false });
