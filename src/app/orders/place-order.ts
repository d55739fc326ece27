/**
 * Captures an order and allocates it in ONE transaction: resolve SKUs, check totals, route the
 * lines across locations and lots (pure domain function), commit the allocations with conditional
 * UPDATEs, and write the order, its timeline and its outbox events. Idempotent by
 * (channel, externalId): a repeat of the capturing request returns the existing order; another
 * request with the same external id is DUPLICATE_ORDER. Errors: UNKNOWN_SKU (every unknown
 * line named), VALIDATION_FAILED, TOTAL_MISMATCH, INSUFFICIENT_STOCK (with `onShortage: "reject"`,
 * every short line named; nothing written).
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { canonicalJson } from '../../domain/canonical-json.js';
import { canonicalEmail, tidyEmail } from '../../domain/email.js';
import { tidyAddress, tidyName } from '../../domain/address.js';
import { channelName, externalIdOf } from '../../domain/orders/channels.js';
import { isoDate } from '../../domain/clock.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { skuKey } from '../../domain/sku-code.js';
import { formatMinor, isCurrency } from '../../domain/money.js';
import {
  fulfillmentStatusOf,
  orderPaymentStatusOf,
  paymentStatusOf,
  type PaymentStatus,
} from '../../domain/orders/lifecycle.js';
import { routeOrder, type Shortage } from '../../domain/orders/routing.js';
import { computeTotals, lineTotal } from '../../domain/orders/totals.js';
import { prepare, writeAll, writeOrQueue, type Bound } from '../../db/prepared.js';
import type {
  CustomerAddressTable,
  CustomerTable,
  OrderEventTable,
  OrderLineTable,
  OrderTable,
  PaymentTable,
} from '../../db/schema.js';
import { emit, type DomainEvent } from '../outbox.js';
import { balanceSkusForLapsed, lockForLapsedLeases, releaseLapsedLeases } from './backorders.js';
import {
  applyAllocations,
  ConcurrentChange,
  loadSnapshot,
  routingInput,
  notReallocated,
  withHeldOffSale,
  type Ctx,
} from './allocation.js';
import type { CustomerMatch } from '../../db/catalog.repo.js';
import { resolveLines, toRoutingLines } from './order-lines.js';
import { emitStockChanged } from '../stock/availability.js';
import { getOrder, toOrderView, type OrderView } from './order-view.js';
import { consumeReservations } from './reservations.js';
import { numbered } from '../../domain/plural.js';

export type ShippingAddress = {
  name?: string | undefined;
  line1: string;
  line2?: string | undefined;
  city: string;
  region?: string | undefined;
  postalCode: string;
  country: string;
  lat?: number | undefined;
  lon?: number | undefined;
};

export type PlaceOrderInput = {
  readonly channel?: string | undefined;
  readonly externalId?: string | undefined;
  readonly customer: { readonly email: string; readonly name?: string | undefined };
  readonly shippingAddress?: ShippingAddress | undefined;
  readonly currency: string;
  readonly onShortage?: 'reject' | 'backorder' | undefined;
  readonly lines: ReadonlyArray<{
    readonly sku: string;
    readonly quantity: number;
    readonly unitPriceMinor: number;
    readonly discountMinor?: number | undefined;
  }>;
  readonly shippingMinor?: number | undefined;
  readonly taxMinor?: number | undefined;
  readonly subtotalMinor?: number | undefined;
  readonly totalMinor?: number | undefined;
  readonly payments?:
    | ReadonlyArray<{
        readonly provider: string;
        readonly reference?: string | undefined;
        readonly amountMinor: number;
        readonly status: 'pending' | 'authorized' | 'paid' | 'failed';
      }>
    | undefined;
  /** Reservation leases this order consumes (e.g. the cart's). */
  readonly reservations?: readonly string[] | undefined;
};

export type PlaceOrderResult = { readonly created: boolean; readonly order: OrderView };

export const shortageError = (
  shortages: readonly Shortage[],
  lines: ReadonlyArray<{ sku: string }>,
  /** The request field holding line `i`'s quantity. */
  quantityField = (i: number) => `lines.${i}.quantity`,
) =>
  new DomainError(
    'INSUFFICIENT_STOCK',
    `Not enough stock: ${shortages.map((s) => `${lines[s.lineIndex]?.sku} needs ${s.requested}, ${s.available} available`).join('; ')}.`,
    shortages.map((s) => ({
      field: quantityField(s.lineIndex),
      message: `${s.requested} requested, ${s.available} available`,
    })),
    {
      shortages: shortages.map((s) => ({
        line: s.lineIndex,
        sku: lines[s.lineIndex]?.sku,
        requested: s.requested,
        available: s.available,
      })),
    },
  );

const orderByExternalId = prepare((db, p: { channel: string; externalId: string }) =>
  db
    .selectFrom('orders')
    .select(['id', 'capture_hash'])
    .where('channel', '=', p.channel)
    .where('external_id', '=', p.externalId),
);

/**
 * What tells a repeat of a capture from another order under the same external id: what was sold —
 * the customer, the currency, each line's SKU, quantity, price and discount, shipping and tax — with
 * defaults filled in and codes in their canonical form. Processing options (`onShortage`), declared
 * totals (checked against the lines anyway), the address and the payments' state are left out: a
 * channel that re-delivers its order after the payment moved on, or spells a default out, is
 * repeating it.
 */
export const hashOfCapture = (
  input: PlaceOrderInput,
  customerKey: (email: string) => string = canonicalEmail,
): string =>
  createHash('sha256')
    .update(
      canonicalJson({
        customer: customerKey(input.customer.email),
        currency: input.currency,
        lines: input.lines.map((l) => [skuKey(l.sku), l.quantity, l.unitPriceMinor, l.discountMinor ?? 0]),
        shipping: input.shippingMinor ?? 0,
        tax: input.taxMinor ?? 0,
      }),
    )
    .digest('base64url');

/**
 * The customer key of capture hashes written before 2026-12-01 (migration 0016): trimmed and lower
 * case, without the compatibility folding and trailing-dot rule of `canonicalEmail`. An order
 * captured then under a full-width or dotted address is still repeated by the same body.
 */
export const formerEmailKey = (email: string): string => email.trim().toLowerCase();

/** Whether `stored` (an order's capture hash) is the hash of `input`, now or as first written. */
function sameCapture(stored: string, input: PlaceOrderInput, hash: string | null): boolean {
  if (stored === hash) return true;
  const email = input.customer.email;
  return formerEmailKey(email) !== canonicalEmail(email) && stored === hashOfCapture(input, formerEmailKey);
}

const insertOrder = prepare((db, p: { order: OrderTable }) => db.insertInto('orders').values(p.order));

/** Whether `error` is the unique index on (channel, external_id) refusing a second order. */
function isDuplicateExternalId(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  return (
    (e.code === '23505' && e.constraint === 'orders_channel_external_uq') ||
    (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && /orders\.channel, orders\.external_id/.test(e.message ?? ''))
  );
}

const insertOrderLines = prepare((db, p: { rows: OrderLineTable[] }) =>
  db.insertInto('order_lines').values(p.rows),
);

// Both columns of the unique index (provider, reference), so that the look-up uses it.
const paymentsByReference = prepare(
  (db, p: { providers: readonly string[]; references: readonly string[] }) =>
    db
      .selectFrom('payments')
      .select(['provider', 'reference', 'order_id'])
      .where('provider', 'in', p.providers)
      .where('reference', 'in', p.references),
);

/**
 * A provider's payment (a Stripe PaymentIntent, an invoice number) is recorded on one order, once:
 * the same reference twice in the order is VALIDATION_FAILED, one another order holds is
 * PAYMENT_EXISTS (a storefront that submits its checkout twice must not get two orders charged to
 * one PaymentIntent). A concurrent order with the same reference that commits first makes our
 * INSERT fail on the unique index; the transaction is retried and this look-up answers.
 */
async function assertPaymentsNew(tx: Tx, payments: NonNullable<PlaceOrderInput['payments']>): Promise<void> {
  const firstIndex = new Map<string, number>();
  payments.forEach((p, i) => {
    if (p.reference === undefined) return;
    const key = `${p.provider}\u0000${p.reference}`;
    const first = firstIndex.get(key);
    if (first !== undefined)
      throw fieldError(
        'VALIDATION_FAILED',
        `payments.${i}.reference`,
        `is also payments.${first}.reference: a ${p.provider} payment is recorded once`,
      );
    firstIndex.set(key, i);
  });
  if (firstIndex.size === 0) return;
  const referenced = payments.filter((p) => p.reference !== undefined);
  const { rows } = await paymentsByReference(tx, {
    providers: [...new Set(referenced.map((p) => p.provider))],
    references: [...new Set(referenced.map((p) => p.reference!))],
  });
  for (const row of rows) {
    const i = firstIndex.get(`${row.provider}\u0000${row.reference}`);
    if (i === undefined) continue;
    throw new DomainError(
      'PAYMENT_EXISTS',
      `${row.provider} payment ${row.reference} already belongs to order ${row.order_id}.`,
      [{ field: `payments.${i}.reference`, message: `already belongs to order ${row.order_id}` }],
      { orderId: row.order_id },
    );
  }
}

const insertPayments = prepare((db, p: { rows: PaymentTable[] }) => db.insertInto('payments').values(p.rows));

const insertOrderEvents = prepare((db, p: { rows: OrderEventTable[] }) =>
  db.insertInto('order_events').values(p.rows),
);

export async function placeOrder(tx: Tx, request: PlaceOrderInput, ctx: Ctx): Promise<PlaceOrderResult> {
  const channel = channelName(request.channel);
  const input: PlaceOrderInput = {
    ...request,
    channel,
    externalId: externalIdOf(request.externalId),
    customer: { ...request.customer, name: tidyName(request.customer.name) },
    shippingAddress: request.shippingAddress && tidyAddress(request.shippingAddress),
  };
  const captureHash = input.externalId === undefined ? null : hashOfCapture(input);
  if (input.externalId !== undefined) {
    const [existing] = (await orderByExternalId(tx, { channel, externalId: input.externalId })).rows;
    if (existing) {
      if (existing.capture_hash !== null && !sameCapture(existing.capture_hash, input, captureHash))
        throw new DomainError(
          'DUPLICATE_ORDER',
          `Channel ${channel} already has order ${input.externalId}, captured with other contents; change it with an order edit.`,
          [{ field: 'externalId', message: `is already order ${existing.id} of channel ${channel}` }],
          { orderId: existing.id },
        );
      return { created: false, order: await getOrder(tx, existing.id) };
    }
  }
  if (!isCurrency(input.currency))
    throw fieldError(
      'VALIDATION_FAILED',
      'currency',
      `${input.currency} is not an ISO-4217 currency Kibble knows`,
    );
  const payments = input.payments ?? [];
  payments.forEach((p, i) => {
    if (p.provider === 'stripe' && !p.reference?.startsWith('pi_')) {
      throw fieldError(
        'VALIDATION_FAILED',
        `payments.${i}.reference`,
        'a Stripe payment needs its PaymentIntent id (pi_…)',
      );
    }
  });

  await assertPaymentsNew(tx, payments);
  const customerEmail = tidyEmail(input.customer.email);
  const customerEmailKey = canonicalEmail(customerEmail);
  const resolved = await resolveLines(tx, input.lines, ctx.at, { customerEmailKey });
  const priced = input.lines.map((l) => ({
    quantity: l.quantity,
    unitPriceMinor: l.unitPriceMinor,
    discountMinor: l.discountMinor ?? 0,
  }));
  const totals = computeTotals(
    priced,
    { shippingMinor: input.shippingMinor ?? 0, taxMinor: input.taxMinor ?? 0 },
    input,
  );
  let paid = 0;
  payments.forEach((p, i) => {
    // A payment said to be authorised or paid holds money; one of 0 would be stored as pending.
    if ((p.status === 'paid' || p.status === 'authorized') && p.amountMinor === 0)
      throw fieldError(
        'VALIDATION_FAILED',
        `payments.${i}.amountMinor`,
        `must be above 0 for a payment that is ${p.status}`,
      );
    if (p.status === 'failed') return;
    paid += p.amountMinor;
    if (paid > totals.totalMinor) {
      throw fieldError(
        'VALIDATION_FAILED',
        `payments.${i}.amountMinor`,
        `payments add up to more than the order total ${totals.totalMinor}`,
      );
    }
  });
  const today = isoDate(ctx.at);
  const onShortage = input.onShortage ?? 'reject';
  const orderId = newId('order');

  // Stock released here (the leases converted, leases of these SKUs that lapsed) is announced at the
  // end, where the order has not taken it again.
  // Leases of these SKUs that lapsed are released, and the backorders waiting for what they held
  // served first (`lockForLapsedLeases`: their orders locked before any lease or balance).
  const lapsed = resolved.leasesToSweep
    ? await lockForLapsedLeases(tx, resolved.stockedSkuIds, ctx.at)
    : { any: false, waiting: [] };
  const converted = input.reservations?.length
    ? await consumeReservations(
        tx,
        input.reservations,
        resolved,
        orderId,
        ctx,
        balanceSkusForLapsed(resolved.stockedSkuIds, lapsed),
      )
    : null;
  const released = converted ? [...converted.released] : [];
  // What the order's own leases held stays the order's: the backorders served first never take it.
  released.push(...(await releaseLapsedLeases(tx, resolved.stockedSkuIds, lapsed, ctx, converted?.held)));
  // A converted lease's units at a location taken off sale since stay the order's, no more (read
  // only when a lease's location is missing from the snapshot).
  const snapshot = await withHeldOffSale(
    tx,
    await loadSnapshot(tx, resolved.stockedSkuIds),
    resolved.stockedSkuIds,
    converted?.held,
  );
  const shipTo =
    input.shippingAddress?.lat !== undefined && input.shippingAddress.lon !== undefined
      ? { lat: input.shippingAddress.lat, lon: input.shippingAddress.lon }
      : null;
  const routed = routeOrder(
    routingInput(
      snapshot,
      toRoutingLines(
        resolved,
        input.lines.map((l) => l.quantity),
      ),
      resolved.routingSkus,
      shipTo,
      today,
      onShortage,
      converted?.held,
    ),
  );
  if (!routed.ok) throw shortageError(routed.shortages, input.lines);
  const plan = routed.plan;

  // Writes nobody reads back in this transaction go out together at the end (see `writeAll`).
  const writes: Bound[] = [];
  const { row: customer, change: customerChange } = await upsertCustomer(
    tx,
    { email: customerEmail, emailKey: customerEmailKey, name: input.customer.name },
    resolved.customer ?? null, // undefined only when no SKU matched, and then resolveLines threw
    input.shippingAddress,
    ctx.at,
    writes,
  );
  const lineRows: OrderLineTable[] = input.lines.map((l, i) => {
    const sku = resolved.skus[i]!;
    const discount = l.discountMinor ?? 0;
    return {
      id: newId('orderLine'),
      order_id: orderId,
      line_no: i + 1,
      sku_id: sku.id,
      sku: sku.sku,
      name: sku.name,
      quantity: l.quantity,
      cancelled_quantity: 0,
      shipped_quantity: 0,
      backordered: plan.lines.find((p) => p.lineIndex === i)?.backordered ?? 0,
      unit_price_minor: l.unitPriceMinor,
      discount_minor: discount,
      total_minor: lineTotal({
        quantity: l.quantity,
        unitPriceMinor: l.unitPriceMinor,
        discountMinor: discount,
      }),
      discount_basis_quantity: null,
      discount_basis_minor: null,
    };
  });
  const paymentRows: PaymentTable[] = payments.map((p) => {
    const captured = p.status === 'paid' ? p.amountMinor : 0;
    const status: PaymentStatus = paymentStatusOf({
      authorized: p.status === 'authorized',
      failed: p.status === 'failed',
      voided: false,
      amountMinor: p.amountMinor,
      capturedMinor: captured,
      refundedMinor: 0,
    });
    return {
      id: newId('payment'),
      order_id: orderId,
      provider: p.provider,
      reference: p.reference ?? null,
      currency: input.currency,
      amount_minor: p.amountMinor,
      captured_minor: captured,
      refunded_minor: 0,
      status,
      created_at: ctx.at,
      updated_at: ctx.at,
      action_claimed_at: null,
      action_claim: null,
    };
  });
  const fulfillment = fulfillmentStatusOf(
    lineRows.map((l) => ({
      quantity: l.quantity,
      allocated: l.quantity - l.backordered,
      backordered: l.backordered,
      shipped: 0,
    })),
  );
  const paymentStatus = orderPaymentStatusOf(
    paymentRows.map((p) => ({
      status: p.status as PaymentStatus,
      amountMinor: p.amount_minor,
      capturedMinor: p.captured_minor,
      refundedMinor: p.refunded_minor,
    })),
    totals.totalMinor,
    'open',
  );
  const order: OrderTable = {
    id: orderId,
    channel,
    external_id: input.externalId ?? null,
    customer_id: customer.id,
    status: 'open',
    payment_status: paymentStatus,
    fulfillment_status: fulfillment,
    on_shortage: onShortage,
    currency: input.currency,
    shipping_address: input.shippingAddress ? JSON.stringify(input.shippingAddress) : null,
    subtotal_minor: totals.subtotalMinor,
    discount_minor: totals.discountMinor,
    shipping_minor: totals.shippingMinor,
    tax_minor: totals.taxMinor,
    tax_basis_minor: null,
    tax_basis_goods_minor: null,
    total_minor: totals.totalMinor,
    hold_reason: null,
    version: 1,
    created_at: ctx.at,
    updated_at: ctx.at,
    capture_hash: captureHash,
  };
  // Written with everything else at the end (first: lines, timeline and payments refer to it).
  writes.unshift(insertOrder.bind(tx, { order }));
  writes.push(insertOrderLines.bind(tx, { rows: lineRows }));
  const lineAllocations = plan.lines.flatMap((p) =>
    p.allocations.map((allocation) => ({ lineId: lineRows[p.lineIndex]!.id, allocation })),
  );
  const stockEvents = await applyAllocations(
    tx,
    plan.decrements,
    lineAllocations,
    { type: 'order', id: orderId },
    snapshot,
    ctx,
    today,
    { writes, inBundles: resolved.inBundles },
  );
  if (paymentRows.length > 0) writes.push(insertPayments.bind(tx, { rows: paymentRows }));

  const names = {
    locations: new Map(snapshot.rows.map((r) => [r.locationId, r.locationCode])),
    lots: new Map(snapshot.rows.filter((r) => r.lotCode !== null).map((r) => [r.lotId, r.lotCode!])),
    skus: new Map<string, string>(),
  };
  // The locations the order draws on, in the plan's order (timeline entry and `order.allocated`).
  const drawnOn = plan.locationIds.map((id) => names.locations.get(id) ?? id);
  const events: Array<Pick<OrderEventTable, 'at' | 'type' | 'message' | 'actor'>> = [
    {
      at: ctx.at,
      type: 'order.created',
      message: `Order placed via ${channel}: ${numbered(lineRows.length, 'line')}, total ${formatMinor(totals.totalMinor, input.currency)}`,
      actor: ctx.actor,
    },
  ];
  const allocatedUnits = lineAllocations.reduce((s, a) => s + a.allocation.quantity, 0);
  if (allocatedUnits > 0) {
    const where = drawnOn.join(', ');
    // Units as ordered (a bundle is one), and the stock units behind them when bundles differ.
    const orderedUnits = lineRows.reduce((s, l) => s + l.quantity - l.backordered, 0);
    const stockUnits = orderedUnits === allocatedUnits ? '' : ` (${numbered(allocatedUnits, 'stock unit')})`;
    events.push({
      at: ctx.at,
      type: 'order.allocated',
      message: `Allocated ${numbered(orderedUnits, 'unit')}${stockUnits} from ${where}`,
      actor: ctx.actor,
    });
  }
  const backordered = lineRows.filter((l) => l.backordered > 0);
  if (backordered.length > 0) {
    events.push({
      at: ctx.at,
      type: 'order.backordered',
      message: `Backordered ${backordered.map((l) => `${l.backordered} × ${l.sku}`).join(', ')}`,
      actor: ctx.actor,
    });
  }
  await insertTimeline(tx, orderId, events, writes);

  const outbox: DomainEvent[] = [
    // The customer's identity only: every role may read the event stream, so no e-mail or name.
    ...(customerChange
      ? [
          {
            type: `customer.${customerChange}`,
            aggregateType: 'customer',
            aggregateId: customer.id,
            payload: {
              customerId: customer.id,
              ...(customerChange === 'updated' ? { changed: ['name'] } : {}),
            },
          },
        ]
      : []),
    {
      type: 'order.created',
      aggregateType: 'order',
      aggregateId: orderId,
      payload: {
        orderId,
        customerId: customer.id,
        channel,
        externalId: order.external_id,
        totalMinor: order.total_minor,
        currency: order.currency,
        status: order.status,
        fulfillmentStatus: fulfillment,
      },
    },
    ...(allocatedUnits > 0
      ? [
          {
            type: 'order.allocated',
            aggregateType: 'order',
            aggregateId: orderId,
            payload: { orderId, locations: drawnOn },
          },
        ]
      : []),
    ...(backordered.length > 0
      ? [
          {
            type: 'order.backordered',
            aggregateType: 'order',
            aggregateId: orderId,
            payload: { orderId, lines: backordered.map((l) => ({ sku: l.sku, quantity: l.backordered })) },
          },
        ]
      : []),
    ...stockEvents,
  ];
  await emit(tx, ctx.at, outbox, writes);
  if (released.length > 0) await emitStockChanged(tx, notReallocated(released, plan.decrements), ctx.at);
  try {
    await writeAll(tx, writes);
  } catch (error) {
    // A concurrent capture of the same (channel, externalId) committed after our look-up (only on
    // PostgreSQL): retry, and the look-up returns that order.
    if (isDuplicateExternalId(error))
      throw new ConcurrentChange(`order ${channel}/${input.externalId} was captured concurrently; retrying`);
    throw error;
  }

  const allocationRows = lineAllocations.map(({ lineId, allocation: a }) => ({
    order_line_id: lineId,
    sku_id: a.skuId,
    location_id: a.locationId,
    lot_id: a.lotId,
    quantity: a.quantity,
  }));
  return {
    created: true,
    order: toOrderView({
      order,
      customer,
      lines: lineRows,
      allocations: allocationRows,
      payments: paymentRows,
      events,
      actorNames: ctx.actorName === undefined ? undefined : new Map([[ctx.actor, ctx.actorName]]),
      names: { ...names, skus: resolved.codes },
    }),
  };
}

/** Appends events to an order's timeline; with `writes`, queues the INSERT there (see `writeAll`). */
export async function insertTimeline(
  tx: Tx,
  orderId: string,
  events: ReadonlyArray<Pick<OrderEventTable, 'at' | 'type' | 'message' | 'actor'> & { data?: unknown }>,
  writes?: Bound[],
): Promise<void> {
  if (events.length === 0) return;
  const bound = insertOrderEvents.bind(tx, {
    rows: events.map((e) => ({
      id: newId('event'),
      order_id: orderId,
      at: e.at,
      type: e.type,
      message: e.message,
      actor: e.actor,
      data: e.data === undefined ? null : JSON.stringify(e.data),
    })),
  });
  await writeOrQueue(tx, bound, writes);
}

const upsertCustomerRow = prepare((db, p: { row: CustomerTable }) =>
  db
    .insertInto('customers')
    .values(p.row)
    // Only a name we did not have is written: the same name (a concurrent first order of the same
    // customer got there first) or none changes nothing and returns no row.
    .onConflict((oc) =>
      oc
        .column('email_key')
        .doUpdateSet({ updated_at: p.row.updated_at, name: sql<string>`excluded.name` })
        .where(sql<boolean>`excluded.name is not null and excluded.name is distinct from customers.name`),
    )
    .returning(['id', 'email', 'name']),
);

const customerByEmailKey = prepare((db, p: { emailKey: string }) =>
  db.selectFrom('customers').select(['id', 'email', 'name']).where('email_key', '=', p.emailKey),
);

const insertAddress = prepare((db, p: { row: CustomerAddressTable }) =>
  db
    .insertInto('customer_addresses')
    .values(p.row)
    .onConflict((oc) => oc.columns(['customer_id', 'address_key']).doNothing()),
);

/**
 * Finds the customer by e-mail (case-insensitive) or creates them, and remembers the address. A
 * returning customer is only written to when the order brings a name we did not have. `known` is
 * the customer the SKU look-up found by e-mail key (`null`: none yet; a concurrent first order
 * meanwhile is met by the upsert's conflict clause).
 */
async function upsertCustomer(
  tx: Tx,
  c: { email: string; emailKey: string; name?: string | undefined },
  known: CustomerMatch | null,
  address: ShippingAddress | undefined,
  at: string,
  writes: Bound[],
) {
  const { email, emailKey } = c;
  let row = known ?? undefined;
  let change: 'created' | 'updated' | null = null;
  if (row === undefined || (c.name !== undefined && c.name !== row.name)) {
    const id = newId('customer');
    const written = await upsertCustomerRow(tx, {
      row: {
        id,
        email,
        email_key: emailKey,
        name: c.name ?? null,
        created_at: at,
        updated_at: at,
      },
    });
    // Ours when it was new; else the customer of that e-mail (known, or created meanwhile by a
    // concurrent first order): renamed when a row came back, as it was when none did.
    const back = written.rows[0];
    if (back !== undefined) {
      row = back;
      change = back.id === id ? 'created' : 'updated';
    } else row = (await customerByEmailKey(tx, { emailKey })).rows[0]!;
  }
  if (address) {
    const { lat: _lat, lon: _lon, ...postal } = address;
    const key = createHash('sha1').update(JSON.stringify(postal).toLowerCase()).digest('hex');
    writes.push(
      insertAddress.bind(tx, {
        row: {
          id: newId('customer'),
          customer_id: row.id,
          address_key: key,
          address: JSON.stringify(address),
          created_at: at,
        },
      }),
    );
  }
  return { row, change };
}
