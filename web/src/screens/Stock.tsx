/**
 * Stock across the catalog by location: on hand, allocated, quarantined, safety stock and
 * available, with filters (low, out, quarantined, expiring…). Lots and bins per SKU are one click
 * away; adjust, transfer and quarantine right from a row.
 */
import { useCallback, useState } from 'react';
import { get, qs } from '../lib/api.js';
import { useLocations } from '../lib/catalog-data.js';
import { count, day, num } from '../lib/format.js';
import { useDebounced } from '../lib/hooks.js';
import { useList, useQuery } from '../lib/query.js';
import { Link, navigate, setQuery, useLocation } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import type { Page, Sku, StockRow } from '../lib/types.js';
import { DataTable, type Column } from '../components/DataTable.js';
import { StockDialog, type StockAction } from '../components/StockDialog.js';
import { Button, EmptyState, ErrorState, Kbd, Loading, PageHeader, Segmented } from '../components/ui.js';

const filters = [
  { value: 'all', label: 'All' },
  { value: 'available', label: 'Available' },
  { value: 'low', label: 'Low' },
  { value: 'out', label: 'Out' },
  { value: 'quarantined', label: 'Quarantined' },
  { value: 'allocated', label: 'Allocated' },
  { value: 'expiring', label: 'Expiring' },
] as const;
type Filter = (typeof filters)[number]['value'];

export function StockScreen() {
  const session = useSession();
  const { query } = useLocation();
  const locations = useLocations();
  const [text, setText] = useState(query.get('q') ?? '');
  const q = useDebounced(text.trim(), 200);
  const filter = (query.get('filter') as Filter | null) ?? 'all';
  const location = query.get('location') ?? '';
  const [action, setAction] = useState<{ action: StockAction; sku: string; location: string } | null>(null);

  const fetchPage = useCallback(
    (cursor: string | null, limit: number, signal: AbortSignal) =>
      get<Page<StockRow>>(
        `/reports/stock${qs({ q, location, filter: filter === 'all' ? undefined : filter, limit, cursor })}`,
        { signal },
      ),
    [q, location, filter],
  );
  const list = useList(`stock-list|${q}|${location}|${filter}`, fetchPage, ['stock'], 200, 1000);
  const canMove = session.can('moveStock');

  const columns: Column<StockRow>[] = [
    {
      key: 'sku',
      header: 'SKU',
      width: 'minmax(170px, 1.2fr)',
      fit: (r) => r.sku,
      fitClass: 'mono',
      render: (r) => (
        <Link to={`/catalog/${encodeURIComponent(r.sku)}`} className="mono">
          {r.sku}
        </Link>
      ),
    },
    {
      key: 'name',
      header: 'Name',
      width: 'minmax(96px, 2fr)',
      render: (r) => (
        <span className="truncate" title={r.name}>
          {r.name}
        </span>
      ),
    },
    {
      key: 'location',
      header: 'Location',
      width: '80px',
      fit: (r) => (r.sellable ? r.location : `${r.location} ⦸`),
      render: (r) => (r.sellable ? r.location : <span title="Not sellable">{r.location} ⦸</span>),
    },
    {
      key: 'bin',
      header: 'Bin',
      width: '70px',
      optional: true,
      fit: (r) => r.bin ?? '—',
      fitClass: 'mono',
      render: (r) => <span className="mono">{r.bin ?? '—'}</span>,
    },
    {
      key: 'lots',
      header: 'Lots',
      width: '110px',
      optional: true,
      fit: (r) => (r.lots > 0 ? `${num(r.lots)} · ${day(r.nextExpiry)}` : '—'),
      render: (r) =>
        r.lots > 0 ? (
          <span title={`next expiry ${day(r.nextExpiry)}`}>
            {num(r.lots)} · {day(r.nextExpiry)}
          </span>
        ) : (
          <span className="muted">—</span>
        ),
    },
    { key: 'onHand', header: 'On hand', width: '72px', align: 'right', render: (r) => num(r.onHand) },
    { key: 'allocated', header: 'Allocated', width: '80px', align: 'right', render: (r) => num(r.allocated) },
    {
      key: 'quarantined',
      header: 'Quarant.',
      width: '76px',
      align: 'right',
      render: (r) => (r.quarantined > 0 ? <span className="tone-red">{num(r.quarantined)}</span> : '0'),
    },
    {
      key: 'safety',
      header: 'Safety',
      width: '62px',
      align: 'right',
      optional: true,
      render: (r) => <span className="muted">{num(r.safetyStock)}</span>,
    },
    {
      key: 'available',
      header: 'Available',
      width: '80px',
      align: 'right',
      render: (r) => (
        <strong className={r.available === 0 && r.sellable ? 'tone-red' : ''}>{num(r.available)}</strong>
      ),
    },
  ];
  if (canMove) {
    columns.push({
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      width: '84px',
      render: (r) => (
        <Button
          size="sm"
          variant="ghost"
          onClick={() => setAction({ action: 'adjust', sku: r.sku, location: r.location })}
          aria-label={`Adjust ${r.sku} at ${r.location}`}
        >
          Adjust
        </Button>
      ),
    });
  }

  return (
    <div className="list-screen">
      <PageHeader title="Stock" subtitle="By SKU and location; open a SKU for its lots, bins and history" />
      <div className="toolbar">
        <div className="search-field">
          <label htmlFor="stock-search" className="sr-only">
            Search stock by SKU, barcode or name
          </label>
          <input
            id="stock-search"
            data-page-search
            type="search"
            placeholder="SKU, barcode or name"
            value={text}
            autoComplete="off"
            onChange={(e) => {
              setText(e.target.value);
              setQuery({ q: e.target.value });
            }}
          />
          <Kbd>/</Kbd>
        </div>
        <label className="sr-only" htmlFor="stock-location">
          Location
        </label>
        <select id="stock-location" value={location} onChange={(e) => setQuery({ location: e.target.value })}>
          <option value="">All locations</option>
          {locations.data?.map((l) => (
            <option key={l.code} value={l.code}>
              {l.code} — {l.name}
            </option>
          ))}
        </select>
        <Segmented
          label="Show"
          value={filter}
          onChange={(v) => setQuery({ filter: v === 'all' ? null : v })}
          options={filters}
        />
      </div>
      {list.error && !list.items ? (
        <ErrorState error={list.error} onRetry={list.refetch} />
      ) : !list.items ? (
        <Loading rows={8} />
      ) : list.items.length === 0 ? (
        <EmptyState title="Nothing matches">
          {filter === 'all' && !q
            ? 'No stock has been received yet.'
            : 'Try another filter, location or search.'}
        </EmptyState>
      ) : (
        <DataTable
          label="Stock by SKU and location"
          rows={list.items}
          columns={columns}
          rowKey={(r) => `${r.sku}@${r.location}`}
          onOpen={(r) => navigate(`/catalog/${encodeURIComponent(r.sku)}`)}
          hasMore={list.hasMore}
          onEndReached={() => void list.more()}
          footer={list.hasMore ? `${num(list.items.length)}+ rows` : count(list.items.length, 'row')}
        />
      )}
      {action ? <QuickAction {...action} onClose={() => setAction(null)} /> : null}
    </div>
  );
}

function QuickAction({
  action,
  sku,
  location,
  onClose,
}: {
  action: StockAction;
  sku: string;
  location: string;
  onClose: () => void;
}) {
  const q = useQuery(
    `sku|${sku.toUpperCase()}`,
    (signal) => get<Sku>(`/skus/${encodeURIComponent(sku)}`, { signal }),
    ['skus'],
  );
  if (!q.data) return null;
  return <StockDialog sku={q.data} action={action} location={location} onClose={onClose} />;
}
