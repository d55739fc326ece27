import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can } from '../../domain/access.js';
import { editOrder } from '../../app/orders/edit-order.js';
import { holdOrder, releaseHold } from '../../app/orders/hold-order.js';
import { listOrders } from '../../app/orders/list-orders.js';
import { getOrder } from '../../app/orders/order-view.js';
import { placeOrder } from '../../app/orders/place-order.js';
import {
  fulfillmentStatuses,
  orderPaymentStatuses,
  orderTransitions,
} from '../../domain/orders/lifecycle.js';
import { deliverOrder } from '../../app/orders/deliver-order.js';
import { cancelAndSettle, shipAndSettle } from '../../app/payments/settle-payments.js';
import { runPaymentActionOnce } from '../../app/payments/payment-actions.js';
import { paymentProviders } from '../../integrations/payments/registry.js';
import { sendCreated, sendOnce } from '../plugins/idempotency.js';
import {
  AmountMinor,
  NonEmptyText,
  Page,
  Text,
  problemResponses,
  IdCursor,
} from '../schemas/common.schema.js';
import {
  CancelOrderBody,
  EditOrderBody,
  HoldBody,
  OrderParams,
  OrderResponse,
  OrderSummary,
  PlaceOrderBody,
} from '../schemas/order.schema.js';
import { contextOf, ifMatchVersions, sendWithEtag } from './route-helpers.js';

export default async function orderRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const providers = paymentProviders();
  const tags = ['orders'];

  app.post(
    '/orders',
    {
      schema: {
        tags,
        summary: 'Capture an order and allocate its stock atomically',
        description:
          'Idempotent by `Idempotency-Key` and by (channel, externalId): a repeat answers 201 with `Idempotent-Replayed: true` — by key, the first response as it was sent; by (channel, externalId), the order as it is now; channel names are case-insensitive. A retry sent while the first is still running gets 409 IDEMPOTENCY_IN_PROGRESS with `Retry-After: 1` (never a second order; retry it for the first answer), except a retry of an order already captured, which replays at once. The same key with another body is 422 IDEMPOTENCY_KEY_REUSED; the same external id with another body is 409 DUPLICATE_ORDER (with the existing `orderId`). A payment `reference` another order already holds for that provider (a PaymentIntent submitted twice) is 409 PAYMENT_EXISTS with that `orderId`. Lines are routed to one location when possible, else the fewest; ties by the units the order itself held there (reservations it converts), then distance to the shipping address, then most remaining cover. 409 INSUFFICIENT_STOCK names every short line.',
        body: PlaceOrderBody,
        response: { 201: OrderResponse, ...problemResponses },
      },
      config: { roles: can.placeOrders },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      return sendCreated(req, reply, async (tx) => {
        const { created, order } = await placeOrder(tx, req.body, ctx);
        if (!created) reply.header('idempotent-replayed', 'true');
        return { status: 201, body: order };
      });
    },
  );

  app.get(
    '/orders',
    {
      schema: {
        tags,
        summary: 'Orders, newest first, with filters',
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union(Object.keys(orderTransitions).map((s) => Type.Literal(s)))),
            fulfillmentStatus: Type.Optional(Type.Union(fulfillmentStatuses.map((s) => Type.Literal(s)))),
            paymentStatus: Type.Optional(Type.Union(orderPaymentStatuses.map((s) => Type.Literal(s)))),
            channel: Type.Optional(Text({ maxLength: 64 })),
            q: Type.Optional(
              Text({
                maxLength: 254,
                description:
                  'The order id, its external id, the short number the admin shows (`#F4AFBB5B`: the last eight hex digits of the id, any case, `#` optional), or the customer: part of the e-mail, or every word of the name in any order, case aside',
              }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(IdCursor('order')),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(OrderSummary), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) =>
      listOrders(app.database.db, { ...req.query, limit: req.query.limit ?? 50, before: req.query.cursor }),
  );

  app.get(
    '/orders/:id',
    {
      schema: {
        tags,
        summary: 'One order with lines, allocations, payments and timeline',
        params: OrderParams,
        response: { 200: OrderResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req, reply) => sendWithEtag(reply, await getOrder(app.database.db, req.params.id)),
  );

  app.post(
    '/orders/:id/cancel',
    {
      schema: {
        tags,
        summary:
          'Cancel the order, or some units of some lines; releases their stock. With If-Match (the ETag of the order you read) a stale version gets 412 and changes nothing; so for hold, release, ship and deliver.',
        params: OrderParams,
        body: Type.Optional(CancelOrderBody),
        response: { 200: OrderResponse, ...problemResponses },
      },
      config: { roles: can.changeOrders, freesStock: true },
    },
    async (req, reply) => {
      return sendWithEtag(
        reply,
        await cancelAndSettle(
          app.database,
          providers,
          req.params.id,
          req.body ?? {},
          contextOf(req),
          ifMatchVersions(req),
        ),
      );
    },
  );

  app.post(
    '/orders/:id/hold',
    {
      schema: {
        tags,
        summary: 'Put the order on hold (allocations are kept)',
        params: OrderParams,
        body: HoldBody,
        response: { 200: OrderResponse, ...problemResponses },
      },
      config: { roles: can.changeOrders },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      return sendWithEtag(
        reply,
        await app.database.transact((tx) =>
          holdOrder(tx, req.params.id, req.body.reason, ctx, ifMatchVersions(req)),
        ),
      );
    },
  );

  app.post(
    '/orders/:id/release',
    {
      schema: {
        tags,
        summary: 'Release a hold',
        params: OrderParams,
        response: { 200: OrderResponse, ...problemResponses },
      },
      config: { roles: can.changeOrders },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      return sendWithEtag(
        reply,
        await app.database.transact((tx) => releaseHold(tx, req.params.id, ctx, ifMatchVersions(req))),
      );
    },
  );

  app.patch(
    '/orders/:id',
    {
      schema: {
        tags,
        summary:
          'Edit lines (re-allocates atomically; the order keeps what it held) or only the shipping address (allocations stay). Send If-Match with the ETag of the order you read: a stale version gets 412 and changes nothing. Without If-Match the edit applies to the order as it is.',
        params: OrderParams,
        body: EditOrderBody,
        response: { 200: OrderResponse, ...problemResponses },
      },
      config: { roles: can.changeOrders, freesStock: true },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      const expected = ifMatchVersions(req);
      return sendWithEtag(
        reply,
        await app.database.transact((tx) => editOrder(tx, req.params.id, req.body, expected, ctx)),
      );
    },
  );

  app.post(
    '/orders/:id/ship',
    {
      schema: {
        tags,
        summary:
          'Ship everything allocated on the order (shipment movements); completes it when nothing is left',
        params: OrderParams,
        body: Type.Optional(
          Type.Object(
            {
              carrier: Type.Optional(NonEmptyText(64)),
              trackingNumber: Type.Optional(NonEmptyText(100)),
              capturePayments: Type.Optional(
                Type.Boolean({ description: 'Capture authorised payments once shipped (default true)' }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: OrderResponse, ...problemResponses },
      },
      config: { roles: can.shipOrders },
    },
    async (req, reply) => {
      return sendWithEtag(
        reply,
        await shipAndSettle(
          app.database,
          providers,
          req.params.id,
          req.body ?? {},
          contextOf(req),
          ifMatchVersions(req),
        ),
      );
    },
  );

  app.post(
    '/orders/:id/deliver',
    {
      schema: {
        tags,
        summary: 'Mark a shipped order delivered (fulfilment status delivered)',
        params: OrderParams,
        body: Type.Optional(
          Type.Object(
            {
              deliveredAt: Type.Optional(
                Type.String({
                  maxLength: 40,
                  description:
                    'When it was delivered, an ISO-8601 instant with its time zone (default now); not in the future, not before the order was placed',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: OrderResponse, ...problemResponses },
      },
      config: { roles: can.shipOrders },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      return sendWithEtag(
        reply,
        await app.database.transact((tx) =>
          deliverOrder(tx, req.params.id, req.body ?? {}, ctx, ifMatchVersions(req)),
        ),
      );
    },
  );

  app.post(
    '/orders/:id/payments/:paymentId/:action',
    {
      schema: {
        tags,
        summary:
          'Capture, void or refund a payment through its provider (manual; Stripe when STRIPE_SECRET_KEY is set). With an Idempotency-Key a retry replays the first answer and moves no money twice.',
        params: Type.Object(
          {
            id: NonEmptyText(64),
            paymentId: NonEmptyText(64),
            action: Type.Union([Type.Literal('capture'), Type.Literal('void'), Type.Literal('refund')]),
          },
          { additionalProperties: false },
        ),
        body: Type.Optional(
          Type.Object(
            {
              amountMinor: Type.Optional({
                ...AmountMinor,
                description:
                  'Capture: at most what is authorised and what the order still owes (the default); refund: at most what the payment holds (the default). Not for a void, which releases the whole authorisation.',
              }),
            },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: OrderResponse,
          ...problemResponses,
          502: Type.Ref('Problem', {
            description:
              'PAYMENT_PROVIDER_ERROR: the provider could not be reached or failed (its reason in `detail`); the payment is as it was, and the action may be tried again later. A refusal by the provider (the action does not fit the payment there) is a 409 PAYMENT_REFUSED',
          }),
        },
      },
      config: { roles: can.changeOrders },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      return sendOnce(req, reply, (scope) =>
        runPaymentActionOnce(
          app.database,
          providers,
          {
            orderId: req.params.id,
            paymentId: req.params.paymentId,
            action: req.params.action,
            amountMinor: req.body?.amountMinor,
          },
          ctx,
          scope,
        ),
      );
    },
  );
}
