/** Orders, newest first, with status chips and filters; new orders appear live and are highlighted. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { get, qs } from '../lib/api.js';
import { count, money, num, shortId, when, whenShort } from '../lib/format.js';
import { useDebounced } from '../lib/hooks.js';
import { useList } from '../lib/query.js';
import { Link, navigate, setQuery, useLocation } from '../lib/router.js';
import type { OrderSummaryRow, Page } from '../lib/types.js';
import { DataTable, type Column } from '../components/DataTable.js';
import { Chip, EmptyState, ErrorState, Kbd, Loading, PageHeader, Segmented } from '../components/ui.js';

const statuses = [
  { value: 'all', label: 'All' },
  { value: 'open', label: 'Open' },
  { value: 'on_hold', label: 'On hold' },
  { value: 'completed', label: 'Completed' },
  { value: 'cancelled', label: 'Cancelled' },
] as const;
type StatusFilter = (typeof statuses)[number]['value'];

const fulfilments = ['unallocated', 'backordered', 'allocated', 'partially_shipped', 'shipped', 'delivered'];
const payments = [
  'unpaid',
  'authorized',
  'partially_paid',
  'paid',
  'partially_refunded',
  'refunded',
  'failed',
];

const columns: Column<OrderSummaryRow>[] = [
  {
    key: 'id',
    header: 'Order',
    width: '120px',
    fit: (o) => o.externalId ?? `#${shortId(o.id)}`,
    fitClass: 'mono',
    render: (o) => (
      <Link to={`/orders/${o.id}`} className={o.externalId ? '' : 'mono'} title={o.id}>
        {o.externalId ?? `#${shortId(o.id)}`}
      </Link>
    ),
  },
  {
    key: 'date',
    header: 'Date',
    width: '120px',
    fit: (o) => whenShort(o.createdAt),
    render: (o) => (
      <time dateTime={o.createdAt} title={when(o.createdAt)}>
        {whenShort(o.createdAt)}
      </time>
    ),
  },
  {
    key: 'customer',
    header: 'Customer',
    width: 'minmax(150px, 3fr)',
    render: (o) => (
      <span className="truncate">
        {o.customer.name ? `${o.customer.name} · ` : ''}
        <span className="muted">{o.customer.email}</span>
      </span>
    ),
  },
  { key: 'channel', header: 'Channel', width: '90px', optional: true, render: (o) => o.channel },
  {
    key: 'status',
    header: 'Status',
    width: 'minmax(250px, 1fr)',
    render: (o) => (
      <span className="chips">
        <Chip value={o.status} />
        <Chip value={o.fulfillmentStatus} />
        <Chip value={o.paymentStatus} />
      </span>
    ),
  },
  {
    key: 'items',
    header: 'Lines',
    width: '60px',
    align: 'right',
    optional: true,
    render: (o) => num(o.lineCount),
  },
  {
    key: 'total',
    header: 'Total',
    width: '110px',
    align: 'right',
    render: (o) => money(o.totalMinor, o.currency),
  },
];

export function Orders() {
  const { query } = useLocation();
  const status = (query.get('status') as StatusFilter | null) ?? 'all';
  const fulfillmentStatus = query.get('fulfillmentStatus') ?? '';
  const paymentStatus = query.get('paymentStatus') ?? '';
  const [text, setText] = useState(query.get('q') ?? '');
  const q = useDebounced(text.trim(), 300);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number, signal: AbortSignal) =>
      get<Page<OrderSummaryRow>>(
        `/orders${qs({ status: status === 'all' ? undefined : status, fulfillmentStatus, paymentStatus, q, limit, cursor })}`,
        { signal },
      ),
    [status, fulfillmentStatus, paymentStatus, q],
  );
  const key = `orders|${status}|${fulfillmentStatus}|${paymentStatus}|${q}`;
  const list = useList(key, fetchPage, ['orders'], 100);

  // Orders that arrive while the list is open are highlighted for a few seconds.
  const known = useRef<{ key: string; ids: Set<string> } | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    if (!list.items || list.stale) return;
    const ids = new Set(list.items.map((o) => o.id));
    if (known.current?.key === key) {
      const added = [...ids].filter((id) => !known.current!.ids.has(id));
      if (added.length > 0) {
        setFresh(new Set(added));
        const t = setTimeout(() => setFresh(new Set()), 6000);
        known.current = { key, ids };
        return () => clearTimeout(t);
      }
    }
    known.current = { key, ids };
    return undefined;
  }, [list.items, list.stale, key]);

  return (
    <div className="list-screen">
      <PageHeader title="Orders" subtitle="From every channel, newest first; updates live" />
      <div className="toolbar wrap">
        <div className="search-field">
          <label htmlFor="order-search" className="sr-only">
            Find an order by its number (#F4AFBB5B), id, channel order id or customer email
          </label>
          <input
            id="order-search"
            data-page-search
            type="search"
            placeholder="Order #, id, channel id, customer email or name"
            value={text}
            autoComplete="off"
            onChange={(e) => {
              setText(e.target.value);
              setQuery({ q: e.target.value });
            }}
          />
          <Kbd>/</Kbd>
        </div>
        <Segmented
          label="Status"
          value={status}
          onChange={(v) => setQuery({ status: v === 'all' ? null : v })}
          options={statuses}
        />
        <label className="sr-only" htmlFor="order-fulfilment">
          Fulfilment status
        </label>
        <select
          id="order-fulfilment"
          value={fulfillmentStatus}
          onChange={(e) => setQuery({ fulfillmentStatus: e.target.value })}
        >
          <option value="">Any fulfilment</option>
          {fulfilments.map((f) => (
            <option key={f} value={f}>
              {f.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor="order-payment">
          Payment status
        </label>
        <select
          id="order-payment"
          value={paymentStatus}
          onChange={(e) => setQuery({ paymentStatus: e.target.value })}
        >
          <option value="">Any payment</option>
          {payments.map((p) => (
            <option key={p} value={p}>
              {p.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
      </div>
      {list.error && !list.items ? (
        <ErrorState error={list.error} onRetry={list.refetch} />
      ) : !list.items ? (
        <Loading rows={8} />
      ) : list.items.length === 0 ? (
        <EmptyState
          title={
            q || status !== 'all' || fulfillmentStatus || paymentStatus ? 'No order matches' : 'No orders yet'
          }
        >
          {q
            ? 'Search takes a whole order id, channel order id or email.'
            : 'Orders placed through the API or a channel appear here as they arrive.'}
        </EmptyState>
      ) : (
        <DataTable
          label="Orders"
          rows={list.items}
          columns={columns}
          rowKey={(o) => o.id}
          onOpen={(o) => navigate(`/orders/${o.id}`)}
          hasMore={list.hasMore}
          onEndReached={() => void list.more()}
          rowClass={(o) => (fresh.has(o.id) ? 'row-new' : undefined)}
          footer={list.hasMore ? `${num(list.items.length)}+ orders` : count(list.items.length, 'order')}
        />
      )}
    </div>
  );
}
