/** Customers are created or matched by e-mail when orders arrive; here they are read. */
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { containsEveryWord, escapeLike } from '../../db/like.js';
import { canonicalEmail } from '../../domain/email.js';
import { fieldError } from '../../domain/errors.js';

export type CustomerView = {
  id: string;
  email: string;
  name: string | null;
  addresses: Array<Record<string, unknown>>;
  orderCount: number;
  lifetimeValueMinor: Record<string, number>;
  createdAt: string;
};

/**
 * Customers (`alias.` columns) whose e-mail contains `q` (in its canonical form, `canonicalEmail`),
 * or whose name contains every word of it, case aside: what the customer search and the order
 * search by customer both mean. Scans the customers (far fewer than orders), never the orders.
 */
export function customerMatches(q: string, alias = '') {
  const column = (name: string) => (alias === '' ? name : `${alias}.${name}`);
  const email = `%${escapeLike(canonicalEmail(q))}%`;
  const name = containsEveryWord(column('name'), q.normalize('NFKC'));
  return sql<boolean>`(${sql.ref(column('email_key'))} like ${email} escape '\\' or ${name})`;
}

/** Customers by e-mail or name fragment, newest first. */
export async function listCustomers(
  tx: Tx,
  opts: { q?: string | undefined; limit: number; before?: string | undefined },
) {
  let q = tx
    .selectFrom('customers')
    .select(['id', 'email', 'name', 'created_at'])
    .orderBy('id', 'desc')
    .limit(opts.limit + 1);
  if (opts.before) q = q.where('id', '<', opts.before);
  if (opts.q?.trim()) q = q.where(customerMatches(opts.q));
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  return {
    items: page.map((r) => ({ id: r.id, email: r.email, name: r.name, createdAt: r.created_at })),
    nextCursor: rows.length > opts.limit ? page[page.length - 1]!.id : null,
  };
}

/** One customer with addresses, order count and lifetime value per currency (cancelled orders excluded). */
export async function getCustomer(tx: Tx, id: string): Promise<CustomerView> {
  const c = await tx.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!c) throw fieldError('NOT_FOUND', 'id', `Customer ${id} does not exist.`);
  const [addresses, totals] = await Promise.all([
    tx
      .selectFrom('customer_addresses')
      .select('address')
      .where('customer_id', '=', id)
      .orderBy('created_at')
      .execute(),
    tx
      .selectFrom('orders')
      .select((eb) => [
        'currency',
        eb.fn.countAll<number>().as('n'),
        eb.fn.sum<number>('total_minor').as('total'),
      ])
      .where('customer_id', '=', id)
      .where('status', '<>', 'cancelled')
      .groupBy('currency')
      .execute(),
  ]);
  return {
    id: c.id,
    email: c.email,
    name: c.name,
    addresses: addresses.map((a) => JSON.parse(a.address) as Record<string, unknown>),
    orderCount: totals.reduce((s, t) => s + Number(t.n), 0),
    lifetimeValueMinor: Object.fromEntries(totals.map((t) => [t.currency, Number(t.total)])),
    createdAt: c.created_at,
  };
}
