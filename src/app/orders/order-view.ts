/**
 * The public shape of an order, assembled by one pure function from its rows, whether they were
 * just written (capture answers without reading back) or loaded (GET).
 */
import type { Tx } from '../../db/database.js';
import type {
  AllocationTable,
  CustomerTable,
  OrderEventTable,
  OrderLineTable,
  OrderTable,
  PaymentTable,
} from '../../db/schema.js';
import { DomainError } from '../../domain/errors.js';
import { actorNames } from '../access/actor-names.js';

export type AllocationView = { location: string; lot: string | null; sku: string; quantity: number };

export type OrderLineView = {
  id: string;
  sku: string;
  name: string;
  quantity: number;
  cancelledQuantity: number;
  shippedQuantity: number;
  backordered: number;
  unitPriceMinor: number;
  discountMinor: number;
  totalMinor: number;
  allocations: AllocationView[];
};

/**
 * One entry per (SKU, location, lot), in first-allocated order: a line allocated in steps (a
 * backorder served later, an edit that added units) holds several rows of the same stock, which a
 * reader of the order wants as one.
 */
function merged(allocations: readonly AllocationView[]): AllocationView[] {
  if (allocations.length < 2) return [...allocations];
  const byKey = new Map<string, AllocationView>();
  for (const a of allocations) {
    const key = `${a.sku}\u0000${a.location}\u0000${a.lot ?? ''}`;
    const prior = byKey.get(key);
    byKey.set(key, prior ? { ...prior, quantity: prior.quantity + a.quantity } : a);
  }
  return [...byKey.values()];
}

export type OrderView = {
  id: string;
  channel: string;
  externalId: string | null;
  status: string;
  paymentStatus: string;
  fulfillmentStatus: string;
  onShortage: string;
  holdReason: string | null;
  customer: { id: string; email: string; name: string | null };
  shippingAddress: Record<string, unknown> | null;
  currency: string;
  lines: OrderLineView[];
  subtotalMinor: number;
  discountMinor: number;
  shippingMinor: number;
  taxMinor: number;
  totalMinor: number;
  payments: Array<{
    id: string;
    provider: string;
    reference: string | null;
    amountMinor: number;
    capturedMinor: number;
    refundedMinor: number;
    status: string;
  }>;
  /** `actorName`: the user's or API key's name for `user:…` and `key:…` actors, else null. */
  timeline: Array<{ at: string; type: string; message: string; actor: string; actorName: string | null }>;
  version: number;
  createdAt: string;
  updatedAt: string;
};

export type OrderParts = {
  order: OrderTable;
  customer: Pick<CustomerTable, 'id' | 'email' | 'name'>;
  lines: readonly OrderLineTable[];
  allocations: ReadonlyArray<
    Pick<AllocationTable, 'order_line_id' | 'sku_id' | 'location_id' | 'lot_id' | 'quantity'>
  >;
  payments: readonly PaymentTable[];
  events: ReadonlyArray<Pick<OrderEventTable, 'at' | 'type' | 'message' | 'actor'>>;
  /** Display names of the events' actors (see `actorNames`); without it every `actorName` is null. */
  actorNames?: ReadonlyMap<string, string> | undefined;
  /** Display names for ids that allocations refer to. */
  names: {
    locations: ReadonlyMap<string, string>;
    lots: ReadonlyMap<string, string>;
    skus: ReadonlyMap<string, string>;
  };
};

export function toOrderView(p: OrderParts): OrderView {
  const o = p.order;
  return {
    id: o.id,
    channel: o.channel,
    externalId: o.external_id,
    status: o.status,
    paymentStatus: o.payment_status,
    fulfillmentStatus: o.fulfillment_status,
    onShortage: o.on_shortage,
    holdReason: o.hold_reason,
    customer: { id: p.customer.id, email: p.customer.email, name: p.customer.name },
    shippingAddress:
      o.shipping_address === null ? null : (JSON.parse(o.shipping_address) as Record<string, unknown>),
    currency: o.currency,
    lines: [...p.lines]
      .sort((a, b) => a.line_no - b.line_no)
      .map((l) => ({
        id: l.id,
        sku: l.sku,
        name: l.name,
        quantity: l.quantity,
        cancelledQuantity: l.cancelled_quantity,
        shippedQuantity: l.shipped_quantity,
        backordered: l.backordered,
        unitPriceMinor: l.unit_price_minor,
        discountMinor: l.discount_minor,
        totalMinor: l.total_minor,
        allocations: merged(
          p.allocations
            .filter((a) => a.order_line_id === l.id)
            .map((a) => ({
              location: p.names.locations.get(a.location_id) ?? a.location_id,
              lot: a.lot_id === '' ? null : (p.names.lots.get(a.lot_id) ?? a.lot_id),
              sku: p.names.skus.get(a.sku_id) ?? l.sku,
              quantity: a.quantity,
            })),
        ),
      })),
    subtotalMinor: o.subtotal_minor,
    discountMinor: o.discount_minor,
    shippingMinor: o.shipping_minor,
    taxMinor: o.tax_minor,
    totalMinor: o.total_minor,
    payments: p.payments.map((pay) => ({
      id: pay.id,
      provider: pay.provider,
      reference: pay.reference,
      amountMinor: pay.amount_minor,
      capturedMinor: pay.captured_minor,
      refundedMinor: pay.refunded_minor,
      status: pay.status,
    })),
    timeline: p.events.map((e) => ({
      at: e.at,
      type: e.type,
      message: e.message,
      actor: e.actor,
      actorName: p.actorNames?.get(e.actor) ?? null,
    })),
    version: o.version,
    createdAt: o.created_at,
    updatedAt: o.updated_at,
  };
}

/** Loads every part of an order; NOT_FOUND when there is none. */
export async function loadOrderParts(tx: Tx, id: string): Promise<OrderParts> {
  const order = await tx.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
  if (!order)
    throw new DomainError('NOT_FOUND', `Order ${id} does not exist.`, [
      { field: 'id', message: 'no such order' },
    ]);
  const [customer, lines, allocations, payments, events] = await Promise.all([
    tx
      .selectFrom('customers')
      .select(['id', 'email', 'name'])
      .where('id', '=', order.customer_id)
      .executeTakeFirstOrThrow(),
    tx.selectFrom('order_lines').selectAll().where('order_id', '=', id).orderBy('line_no').execute(),
    tx
      .selectFrom('allocations as a')
      .innerJoin('locations as l', 'l.id', 'a.location_id')
      .innerJoin('skus as s', 's.id', 'a.sku_id')
      .leftJoin('lots as t', 't.id', 'a.lot_id')
      .select([
        'a.order_line_id',
        'a.sku_id',
        'a.location_id',
        'a.lot_id',
        'a.quantity',
        'l.code as location_code',
        't.code as lot_code',
        's.sku',
      ])
      .where('a.owner_id', '=', id)
      .orderBy('a.id')
      .execute(),
    tx.selectFrom('payments').selectAll().where('order_id', '=', id).orderBy('id').execute(),
    tx
      .selectFrom('order_events')
      .select(['at', 'type', 'message', 'actor'])
      .where('order_id', '=', id)
      .orderBy('id')
      .execute(),
  ]);
  return {
    order,
    customer,
    lines,
    allocations,
    payments,
    events,
    actorNames: await actorNames(
      tx,
      events.map((e) => e.actor),
    ),
    names: {
      locations: new Map(allocations.map((a) => [a.location_id, a.location_code])),
      lots: new Map(allocations.filter((a) => a.lot_code !== null).map((a) => [a.lot_id, a.lot_code!])),
      skus: new Map(allocations.map((a) => [a.sku_id, a.sku])),
    },
  };
}

export async function getOrder(tx: Tx, id: string): Promise<OrderView> {
  return toOrderView(await loadOrderParts(tx, id));
}
