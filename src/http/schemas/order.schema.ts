import { Type } from 'typebox';
import {
  AmountMinor,
  Currency,
  NonEmptyText,
  Nullable,
  PositiveQuantity,
  SkuCode,
  Text,
  Timestamp,
  CountryCode,
  Email,
  COORDINATES_TOGETHER,
} from './common.schema.js';

export const ShippingAddress = Type.Object(
  {
    name: Type.Optional(Text({ maxLength: 200 })),
    line1: NonEmptyText(200),
    line2: Type.Optional(Text({ maxLength: 200 })),
    city: NonEmptyText(100),
    region: Type.Optional(Text({ maxLength: 100 })),
    postalCode: NonEmptyText(20),
    country: CountryCode,
    lat: Type.Optional(
      Type.Number({
        minimum: -90,
        maximum: 90,
        description: 'Latitude, for routing; with `lon` or not at all',
      }),
    ),
    lon: Type.Optional(
      Type.Number({
        minimum: -180,
        maximum: 180,
        description: 'Longitude, for routing; with `lat` or not at all',
      }),
    ),
  },
  { additionalProperties: false, ...COORDINATES_TOGETHER },
);

const OrderLineInput = Type.Object(
  {
    sku: SkuCode,
    quantity: PositiveQuantity,
    unitPriceMinor: AmountMinor,
    discountMinor: Type.Optional({
      ...AmountMinor,
      description:
        'The discount on the whole line (not per unit), at most quantity × unitPriceMinor; a partial cancel keeps it pro rata. Default 0.',
    }),
  },
  { additionalProperties: false },
);

export const PlaceOrderBody = Type.Object(
  {
    channel: Type.Optional(
      NonEmptyText(
        64,
        'Sales channel, e.g. `web`, `shopify`, `pos`; default `api`. Case-insensitive: stored trimmed, in lower case',
      ),
    ),
    externalId: Type.Optional(
      NonEmptyText(128, 'The order id in the channel; unique per channel. Stored trimmed; case counts'),
    ),
    customer: Type.Object(
      { email: Email, name: Type.Optional(Text({ maxLength: 200 })) },
      { additionalProperties: false },
    ),
    shippingAddress: Type.Optional(ShippingAddress),
    currency: Currency,
    onShortage: Type.Optional(
      Type.Union([Type.Literal('reject'), Type.Literal('backorder')], {
        description: 'reject (default): 409 INSUFFICIENT_STOCK; backorder: allocate what exists',
      }),
    ),
    lines: Type.Array(OrderLineInput, { minItems: 1, maxItems: 500 }),
    shippingMinor: Type.Optional(AmountMinor),
    taxMinor: Type.Optional(AmountMinor),
    subtotalMinor: Type.Optional({
      ...AmountMinor,
      description:
        'What the storefront computed: Σ quantity × unitPriceMinor over the lines. Optional; when sent it must match, else 422 TOTAL_MISMATCH.',
    }),
    totalMinor: Type.Optional({
      ...AmountMinor,
      description:
        'What the storefront computed: subtotal − line discounts + shipping + tax. Optional; when sent it must match, else 422 TOTAL_MISMATCH.',
    }),
    payments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            provider: Type.Union([Type.Literal('manual'), Type.Literal('stripe')]),
            reference: Type.Optional(NonEmptyText(255)),
            amountMinor: AmountMinor,
            status: Type.Union([
              Type.Literal('pending'),
              Type.Literal('authorized'),
              Type.Literal('paid'),
              Type.Literal('failed'),
            ]),
          },
          { additionalProperties: false },
        ),
        { maxItems: 20 },
      ),
    ),
    reservations: Type.Optional(
      Type.Array(NonEmptyText(64), {
        maxItems: 100,
        description:
          "Reservation leases this order converts, in the order's own transaction: each must be active and hold a SKU of the order (400 naming `reservations.i` otherwise; 404 unknown; 409 RESERVATION_EXPIRED once lapsed, INVALID_TRANSITION once released or converted). Their stock becomes the order's: routing takes it where the leases held it (before distance), even under safety stock, and frees at once whatever the order does not take. The leases end `converted` with the order's id. A rejected order leaves them as they were.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const OrderResponse = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  externalId: Nullable(Type.String()),
  status: Type.String(),
  paymentStatus: Type.String(),
  fulfillmentStatus: Type.String(),
  onShortage: Type.String(),
  holdReason: Nullable(Type.String()),
  customer: Type.Object({ id: Type.String(), email: Type.String(), name: Nullable(Type.String()) }),
  shippingAddress: Nullable(Type.Object({}, { additionalProperties: true })),
  currency: Type.String(),
  lines: Type.Array(
    Type.Object({
      id: Type.String(),
      sku: Type.String(),
      name: Type.String(),
      quantity: Type.Integer({
        description:
          'Units still ordered: what was ordered less what was cancelled (a partial cancel lowers it).',
      }),
      cancelledQuantity: Type.Integer({ description: 'Units cancelled from this line so far.' }),
      shippedQuantity: Type.Integer({ description: 'Units shipped, out of `quantity`.' }),
      backordered: Type.Integer({ description: 'Units of `quantity` waiting for stock (not allocated).' }),
      unitPriceMinor: Type.Integer(),
      discountMinor: Type.Integer(),
      totalMinor: Type.Integer(),
      allocations: Type.Array(
        Type.Object({
          location: Type.String(),
          lot: Nullable(Type.String()),
          sku: Type.String(),
          quantity: Type.Integer(),
        }),
      ),
    }),
  ),
  subtotalMinor: Type.Integer(),
  discountMinor: Type.Integer(),
  shippingMinor: Type.Integer(),
  taxMinor: Type.Integer(),
  totalMinor: Type.Integer(),
  payments: Type.Array(
    Type.Object({
      id: Type.String(),
      provider: Type.String(),
      reference: Nullable(Type.String()),
      amountMinor: Type.Integer(),
      capturedMinor: Type.Integer(),
      refundedMinor: Type.Integer(),
      status: Type.String(),
    }),
  ),
  timeline: Type.Array(
    Type.Object({
      at: Timestamp,
      type: Type.String(),
      message: Type.String(),
      actor: Type.String({ description: 'Who did it: `user:usr_…`, `key:key_…`, `system:…`, `webhook:…`' }),
      // Optional in the schema so that a reply recorded before this field existed (an
      // Idempotency-Key replay) still serialises; every order read now carries it.
      actorName: Type.Optional(
        Nullable(
          Type.String({
            description: "The user's or API key's name for `user:` and `key:` actors; else null",
          }),
        ),
      ),
    }),
  ),
  version: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const OrderSummary = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  externalId: Nullable(Type.String()),
  status: Type.String(),
  paymentStatus: Type.String(),
  fulfillmentStatus: Type.String(),
  customer: Type.Object({ email: Type.String(), name: Nullable(Type.String()) }),
  currency: Type.String(),
  totalMinor: Type.Integer(),
  lineCount: Type.Integer({
    description:
      'Lines on the order, as the order shows them: lines cancelled or removed by an edit included (their units count as cancelled).',
  }),
  createdAt: Timestamp,
});

export const OrderParams = Type.Object({ id: NonEmptyText(64) }, { additionalProperties: false });

export const CancelOrderBody = Type.Object(
  {
    lines: Type.Optional(
      Type.Array(
        Type.Object(
          {
            sku: SkuCode,
            quantity: PositiveQuantity,
            line: Type.Optional(
              NonEmptyText(
                64,
                'The id of the order line to cancel from, for an order with the SKU on several lines; without it the units come off its lines in order',
              ),
            ),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 500 },
      ),
    ),
    reason: Type.Optional(Text({ maxLength: 500 })),
    shippingMinor: Type.Optional({
      ...AmountMinor,
      description:
        "The order's shipping after a partial cancellation (a channel that refunded shipping says what is left). Omitted: it stays. A whole cancellation makes it 0.",
    }),
    taxMinor: Type.Optional({
      ...AmountMinor,
      description:
        "The order's tax after a partial cancellation, as the channel computed it. Omitted: the tax is scaled to the goods left, at the rate it was set at (rounded half up), so the cancellation gives back the tax on what it cancelled. A whole cancellation makes it 0.",
    }),
    voidPayments: Type.Optional(
      Type.Boolean({
        description:
          "Once the whole order is cancelled, void its authorised and pending payments so the customer's card hold is released (default true)",
      }),
    ),
    refundPayments: Type.Optional(
      Type.Boolean({
        description:
          'Refund what the captured payments hold beyond the order total after this cancellation (all of it when the whole order is cancelled), newest payment first (default false)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const HoldBody = Type.Object({ reason: NonEmptyText(500) }, { additionalProperties: false });

export const EditOrderBody = Type.Object(
  {
    lines: Type.Optional(
      Type.Array(
        Type.Object(
          {
            sku: SkuCode,
            quantity: PositiveQuantity,
            unitPriceMinor: Type.Optional({
              ...AmountMinor,
              description: "Omitted: the line's current unit price, or the SKU's price for a new line.",
            }),
            discountMinor: Type.Optional({
              ...AmountMinor,
              description:
                'The discount on the whole line, as at capture. Omitted: a kept line keeps its discount pro rata to the new quantity (within the line amount); none for a new line.',
            }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 500 },
      ),
    ),
    shippingAddress: Type.Optional(ShippingAddress),
    shippingMinor: Type.Optional({
      ...AmountMinor,
      description: "The order's new shipping. Omitted: it stays.",
    }),
    taxMinor: Type.Optional({
      ...AmountMinor,
      description:
        "The order's new tax, as the channel computed it. Omitted: a line edit scales the tax to the new goods (subtotal less discounts) at the rate it was set at, rounded half up; an edit of the address alone leaves it.",
    }),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ReservationBody = Type.Object(
  {
    sku: SkuCode,
    location: Type.Optional(NonEmptyText(64)),
    quantity: PositiveQuantity,
    ttlSeconds: Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 }),
    reference: Type.Optional(NonEmptyText(200, 'Cart or channel reference')),
  },
  { additionalProperties: false },
);

export const ReservationResponse = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  location: Nullable(Type.String()),
  quantity: Type.Integer(),
  status: Type.String(),
  reference: Nullable(Type.String()),
  orderId: Nullable(Type.String()),
  expiresAt: Timestamp,
  createdAt: Timestamp,
  allocations: Type.Array(
    Type.Object({ location: Type.String(), lot: Nullable(Type.String()), quantity: Type.Integer() }),
  ),
});
