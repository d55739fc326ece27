import type { Tx } from '../../db/database.js';
import { sql } from 'kysely';
import { channelName } from '../../domain/orders/channels.js';
import { customerMatches } from '../customers/customers.js';
import { shortNumberSearched } from '../../domain/orders/short-number.js';

/**
 * Orders newest first, keyset-paginated by id (time-sortable). `q` matches the order id, the
 * external id, the short number the admin shows (`#F4AFBB5B`, any case, `#` optional:
 * `domain/orders/short-number.ts`), or the customer as the customer search finds them — part of the
 * e-mail, or every word of the name (`customerMatches`, a scan of the customers, not of the orders);
 * the ids through an index, the short number by reading every order's id.
 */
export async function listOrders(
  tx: Tx,
  opts: {
    status?: string | undefined;
    fulfillmentStatus?: string | undefined;
    paymentStatus?: string | undefined;
    channel?: string | undefined;
    q?: string | undefined;
    limit: number;
    before?: string | undefined;
  },
) {
  let query = tx
    .selectFrom('orders as o')
    .innerJoin('customers as c', 'c.id', 'o.customer_id')
    .select((eb) => [
      'o.id',
      'o.channel',
      'o.external_id',
      'o.status',
      'o.payment_status',
      'o.fulfillment_status',
      'o.currency',
      'o.total_minor',
      'o.created_at',
      'c.email',
      'c.name',
      eb
        .selectFrom('order_lines as l')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('l.order_id', '=', 'o.id')
        // Lines still ordered, and lines cancelled or removed by an edit (their units count as cancelled).
        .where((w) => w.or([w('l.quantity', '>', 0), w('l.cancelled_quantity', '>', 0)]))
        .as('line_count'),
    ])
    .orderBy('o.id', 'desc')
    .limit(opts.limit + 1);
  if (opts.status) query = query.where('o.status', '=', opts.status);
  if (opts.fulfillmentStatus) query = query.where('o.fulfillment_status', '=', opts.fulfillmentStatus);
  if (opts.paymentStatus) query = query.where('o.payment_status', '=', opts.paymentStatus);
  if (opts.channel) query = query.where('o.channel', '=', channelName(opts.channel));
  if (opts.before) query = query.where('o.id', '<', opts.before);
  const q = opts.q?.trim();
  if (q) {
    // One index look-up per meaning of `q`, not an OR across two tables (which scans every order).
    const short = shortNumberSearched(q);
    query = query.where('o.id', 'in', (eb) => {
      let ids = eb
        .selectFrom('orders')
        .select('id')
        .where('id', '=', q)
        .unionAll(eb.selectFrom('orders').select('id').where('external_id', '=', q))
        .unionAll(
          // The matching customers first, then their orders through the customer index: never a
          // scan of the orders probing each one's customer.
          eb
            .selectFrom('orders as qo')
            .select('qo.id')
            .where('qo.customer_id', 'in', (c) =>
              c.selectFrom('customers as qc').select('qc.id').where(customerMatches(q, 'qc')),
            ),
        );
      // The short number has no index (migration 0014 says why): this one reads every order's id.
      if (short !== null)
        ids = ids.unionAll(
          eb
            .selectFrom('orders')
            .select('id')
            .where(sql<string>`substr(id, length(id) - 7)`, '=', short),
        );
      return ids;
    });
  }
  const rows = await query.execute();
  const page = rows.slice(0, opts.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      channel: r.channel,
      externalId: r.external_id,
      status: r.status,
      paymentStatus: r.payment_status,
      fulfillmentStatus: r.fulfillment_status,
      customer: { email: r.email, name: r.name },
      currency: r.currency,
      totalMinor: r.total_minor,
      lineCount: Number(r.line_count ?? 0),
      createdAt: r.created_at,
    })),
    nextCursor: rows.length > opts.limit ? page[page.length - 1]!.id : null,
  };
}
