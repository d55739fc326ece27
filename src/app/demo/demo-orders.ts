/**
 * Ninety days of order history for the demo shop, placed and shipped through the real use-cases
 * at past instants (so the ledger, the timeline and the dashboard agree): weekly seasonality (busier
 * weekends), a slow upward trend, popular SKUs ordered more, a few cancellations, settled afterwards
 * as a shop would (`settleCancelledOrders`). The last two days stay open — allocated, a few on hold,
 * a few backordered — so every screen has work to show.
 */
import type { Database, Tx } from '../../db/database.js';
import { DomainError } from '../../domain/errors.js';
import { manualProvider } from '../../integrations/payments/manual.js';
import type { Ctx } from '../orders/allocation.js';
import { cancelOrder } from '../orders/cancel-order.js';
import { holdOrder } from '../orders/hold-order.js';
import { placeOrder } from '../orders/place-order.js';
import { shipOrder } from '../orders/ship-order.js';
import { refundExcess, voidOpenPayments } from '../payments/settle-payments.js';
import type { DemoSku } from './demo-catalog.js';
import { Rng } from './demo-random.js';
import { numbered } from '../../domain/plural.js';

const CITIES = [
  { city: 'Los Angeles', region: 'CA', postalCode: '90012', lat: 34.05, lon: -118.24 },
  { city: 'San Francisco', region: 'CA', postalCode: '94103', lat: 37.77, lon: -122.42 },
  { city: 'Seattle', region: 'WA', postalCode: '98101', lat: 47.61, lon: -122.33 },
  { city: 'Denver', region: 'CO', postalCode: '80202', lat: 39.74, lon: -104.99 },
  { city: 'Austin', region: 'TX', postalCode: '78701', lat: 30.27, lon: -97.74 },
  { city: 'Chicago', region: 'IL', postalCode: '60601', lat: 41.88, lon: -87.63 },
  { city: 'Minneapolis', region: 'MN', postalCode: '55401', lat: 44.98, lon: -93.27 },
  { city: 'Atlanta', region: 'GA', postalCode: '30303', lat: 33.75, lon: -84.39 },
  { city: 'Miami', region: 'FL', postalCode: '33130', lat: 25.77, lon: -80.19 },
  { city: 'New York', region: 'NY', postalCode: '10001', lat: 40.75, lon: -73.99 },
  { city: 'Boston', region: 'MA', postalCode: '02108', lat: 42.36, lon: -71.06 },
  { city: 'Philadelphia', region: 'PA', postalCode: '19103', lat: 39.95, lon: -75.17 },
  { city: 'Columbus', region: 'OH', postalCode: '43215', lat: 39.96, lon: -83.0 },
  { city: 'Portland', region: 'OR', postalCode: '97204', lat: 45.52, lon: -122.68 },
  { city: 'Phoenix', region: 'AZ', postalCode: '85004', lat: 33.45, lon: -112.07 },
];
const FIRST = [
  'Ava',
  'Ben',
  'Chloe',
  'Dan',
  'Ella',
  'Finn',
  'Grace',
  'Hugo',
  'Isla',
  'Jack',
  'Kara',
  'Leo',
  'Maya',
  'Noah',
  'Olive',
  'Priya',
  'Quinn',
  'Ravi',
  'Sofia',
  'Theo',
  'Uma',
  'Vera',
  'Wes',
  'Yara',
  'Zoe',
];
const LAST = [
  'Garcia',
  'Smith',
  'Nguyen',
  'Patel',
  'Kim',
  'Johnson',
  'Brown',
  'Lopez',
  'Müller',
  'Rossi',
  'Cohen',
  'Okafor',
  'Silva',
  'Tanaka',
  'Walsh',
];
const STREETS = ['Oak St', 'Maple Ave', 'Cedar Ln', 'Elm St', 'Pine Rd', 'Birch Way', 'Willow Dr', 'Main St'];

export type HistoryStats = {
  orders: number;
  shipped: number;
  cancelled: number;
  open: number;
  onHold: number;
  backordered: number;
  skipped: number;
  /** Paid cancelled orders refunded, and those left with a refund due (`DEMO_REFUNDS_DUE`). */
  refunded: number;
  refundDue: number;
};

/** A cancelled demo order, with the context of its cancellation, for `settleCancelledOrders`. */
export type CancelledOrder = { readonly orderId: string; readonly ctx: Ctx; readonly paid: boolean };

export type OrderHistory = { readonly stats: HistoryStats; readonly cancelled: readonly CancelledOrder[] };

const DAY = 86_400_000;

/**
 * Places ~90 days of orders ending `now`; returns what it did and the orders it cancelled, whose
 * payments are still to settle. Runs inside the caller's transaction.
 */
export async function seedOrderHistory(
  tx: Tx,
  catalog: readonly DemoSku[],
  seed: number,
  now: Date,
  out: (line: string) => void,
): Promise<OrderHistory> {
  const rng = new Rng(seed, 9);
  const customers = Array.from({ length: 400 }, (_, i) => {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const place = rng.pick(CITIES);
    return {
      email: `${first}.${last}.${i}@example.com`.toLowerCase().replace('ü', 'u'),
      name: `${first} ${last}`,
      address: {
        name: `${first} ${last}`,
        line1: `${rng.int(1, 9999)} ${rng.pick(STREETS)}`,
        city: place.city,
        region: place.region,
        postalCode: place.postalCode,
        country: 'US',
        lat: place.lat,
        lon: place.lon,
      },
    };
  });
  // Popular, active SKUs are ordered most; weight by popularity squared.
  const sellable = catalog.filter((s) => s.active);
  const weights = sellable.map((s) => s.popularity * s.popularity);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const pickSku = (): DemoSku => {
    let r = rng.float() * totalWeight;
    for (let i = 0; i < sellable.length; i++) {
      r -= weights[i]!;
      if (r <= 0) return sellable[i]!;
    }
    return sellable[sellable.length - 1]!;
  };

  // About 9 orders a day for the full catalog; smaller samples get proportionally fewer.
  const scale = Math.min(1, sellable.length / 2000);
  const stats: HistoryStats = {
    orders: 0,
    shipped: 0,
    cancelled: 0,
    open: 0,
    onHold: 0,
    backordered: 0,
    skipped: 0,
    refunded: 0,
    refundDue: 0,
  };
  const cancelled: CancelledOrder[] = [];
  const startOfToday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let daysAgo = 90; daysAgo >= 0; daysAgo--) {
    const dayStart = startOfToday - daysAgo * DAY;
    const weekday = new Date(dayStart).getUTCDay();
    const weekly = weekday === 0 || weekday === 6 ? 1.35 : weekday === 1 ? 1.1 : 0.9;
    const trend = 1 + (90 - daysAgo) / 180;
    const count = Math.max(1, Math.round(9 * scale * weekly * trend * rng.between(0.8, 1.2)));
    const span = daysAgo === 0 ? Math.max(1, now.getTime() - dayStart - 60_000) : DAY - 3_600_000;
    const times = Array.from({ length: count }, () => dayStart + Math.floor(rng.float() * span)).sort(
      (a, b) => a - b,
    );
    for (const t of times) {
      const customer = rng.pick(customers);
      const lines = new Map<string, { sku: string; quantity: number; unitPriceMinor: number }>();
      const n = rng.chance(0.55) ? 1 : rng.chance(0.7) ? 2 : 3;
      for (let i = 0; i < n; i++) {
        const s = pickSku();
        lines.set(s.sku, {
          sku: s.sku,
          quantity: rng.chance(0.8) ? 1 : rng.int(2, 4),
          unitPriceMinor: s.priceMinor,
        });
      }
      const subtotal = [...lines.values()].reduce((a, l) => a + l.quantity * l.unitPriceMinor, 0);
      const shippingMinor = subtotal >= 4900 ? 0 : 599;
      const taxMinor = Math.round((subtotal * 8) / 100);
      const at = new Date(t).toISOString();
      const recent = daysAgo <= 1;
      const backorder = recent && rng.chance(0.15);
      const ctx = { actor: 'system:demo', requestId: null, at };
      let orderId: string;
      try {
        const { order } = await placeOrder(
          tx,
          {
            channel: rng.chance(0.7) ? 'web' : rng.chance(0.6) ? 'shopify' : 'pos',
            customer: { email: customer.email, name: customer.name },
            shippingAddress: customer.address,
            currency: 'USD',
            onShortage: backorder ? 'backorder' : 'reject',
            lines: [...lines.values()],
            shippingMinor,
            taxMinor,
            payments: [
              {
                provider: 'manual',
                amountMinor: subtotal + shippingMinor + taxMinor,
                status: recent ? 'authorized' : 'paid',
              },
            ],
          },
          ctx,
        );
        orderId = order.id;
        stats.orders++;
        if (order.fulfillmentStatus === 'backordered') stats.backordered++;
      } catch (error) {
        if (error instanceof DomainError && error.code === 'INSUFFICIENT_STOCK') {
          stats.skipped++;
          continue;
        }
        throw error;
      }
      const later = (minutes: number) => ({
        ...ctx,
        at: new Date(Math.min(t + minutes * 60_000, now.getTime() - 1000)).toISOString(),
      });
      if (rng.chance(0.03)) {
        const cancelCtx = later(30);
        await cancelOrder(tx, orderId, { reason: 'customer changed their mind' }, cancelCtx);
        cancelled.push({ orderId, ctx: cancelCtx, paid: !recent });
        stats.cancelled++;
      } else if (!recent) {
        await shipOrder(tx, orderId, later(rng.int(120, 1200)), {
          carrier: rng.pick(['UPS', 'USPS', 'FedEx']),
          trackingNumber: `1Z${rng.int(100000000, 999999999)}`,
        });
        stats.shipped++;
      } else if (rng.chance(0.08)) {
        await holdOrder(
          tx,
          orderId,
          rng.pick(['address check', 'fraud review', 'customer asked to wait']),
          later(5),
        );
        stats.onHold++;
      } else {
        stats.open++;
      }
    }
    if (daysAgo % 15 === 0)
      out(`  order history: ${numbered(daysAgo, 'day')} ago, ${numbered(stats.orders, 'order')} so far`);
  }
  return { stats, cancelled };
}

/**
 * Paid cancellations left unrefunded on purpose, the newest ones: their timelines keep "refund due"
 * so the admin's needs-action view has something to show. Every other cancellation is settled.
 */
export const DEMO_REFUNDS_DUE = 2;

/**
 * Settles the demo's cancelled orders the way the API's cancel does (`cancelAndSettle` with
 * `refundPayments: true`), at the instant of each cancellation: the authorisation of a recent order
 * is voided, and what an older, paid one captured is refunded — except the newest `DEMO_REFUNDS_DUE`
 * paid ones. It runs through the payment actions, after the history has committed: like every
 * payment action they claim the payment, call the (manual) provider and record its answer in short
 * transactions of their own. Returns how many orders were refunded and how many were left to refund.
 */
export async function settleCancelledOrders(
  database: Database,
  cancelled: readonly CancelledOrder[],
): Promise<{ refunded: number; refundDue: number }> {
  const providers = new Map([['manual', manualProvider]]);
  const paid = cancelled.filter((c) => c.paid);
  const leftDue = new Set(paid.slice(Math.max(0, paid.length - DEMO_REFUNDS_DUE)).map((c) => c.orderId));
  for (const { orderId, ctx } of cancelled) {
    await voidOpenPayments(database, providers, orderId, ctx);
    if (!leftDue.has(orderId)) await refundExcess(database, providers, orderId, ctx);
  }
  return { refunded: paid.length - leftDue.size, refundDue: leftDue.size };
}
