/** The catalog: search-as-you-type over every SKU (SKU prefix, barcode, part of the name). */
import { useCallback, useState } from 'react';
import { get, qs } from '../lib/api.js';
import { count, money, num } from '../lib/format.js';
import { useDebounced } from '../lib/hooks.js';
import { useList } from '../lib/query.js';
import { Link, navigate, setQuery, useLocation } from '../lib/router.js';
import type { Page, Sku } from '../lib/types.js';
import { DataTable, type Column } from '../components/DataTable.js';
import { Chip, EmptyState, ErrorState, Kbd, Loading, PageHeader, Segmented } from '../components/ui.js';

type Active = 'all' | 'active' | 'inactive';
type StockFilter = 'all' | 'out' | 'low';

const columns: Column<Sku>[] = [
  {
    key: 'sku',
    header: 'SKU',
    width: 'minmax(150px, 1fr)',
    fit: (s) => s.sku,
    fitClass: 'mono',
    render: (s) => (
      <Link to={`/catalog/${encodeURIComponent(s.sku)}`} className="mono">
        {s.sku}
      </Link>
    ),
  },
  {
    key: 'name',
    header: 'Name',
    width: 'minmax(220px, 3fr)',
    render: (s) => (
      <span className="truncate" title={s.name}>
        {s.name}
      </span>
    ),
  },
  {
    key: 'barcode',
    header: 'Barcode',
    width: 'minmax(120px, 1fr)',
    optional: true,
    fit: (s) => s.barcodes[0] ?? '—',
    fitClass: 'mono',
    render: (s) => <span className="mono muted">{s.barcodes[0] ?? '—'}</span>,
  },
  { key: 'unit', header: 'Unit', width: '70px', optional: true, render: (s) => s.unit },
  {
    key: 'kind',
    header: 'Type',
    width: '150px',
    render: (s) => (
      <span className="chips">
        {s.isBundle ? <Chip value="bundle" tone="violet" /> : null}
        {s.tracking === 'lot' ? <Chip value="lot" label="Lots" tone="blue" /> : null}
        {!s.active ? <Chip value="inactive" tone="grey" /> : null}
        {!s.isBundle && s.tracking !== 'lot' && s.active ? <span className="muted">Standard</span> : null}
      </span>
    ),
  },
  {
    key: 'price',
    header: 'Price',
    width: '100px',
    align: 'right',
    render: (s) => money(s.priceMinor, s.currency),
  },
];

export function Catalog() {
  const { query } = useLocation();
  const [text, setText] = useState(query.get('q') ?? '');
  const active = (query.get('active') as Active | null) ?? 'all';
  // The dashboard's out-of-stock and low-stock figures link here: the same SKUs, counted the same way.
  const stockParam = query.get('stock');
  const stock: StockFilter = stockParam === 'out' || stockParam === 'low' ? stockParam : 'all';
  const q = useDebounced(text.trim(), 150);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number, signal: AbortSignal) =>
      get<Page<Sku>>(
        `/skus${qs({
          q,
          limit,
          cursor,
          active: active === 'all' ? undefined : active === 'active',
          stock: stock === 'all' ? undefined : stock,
        })}`,
        { signal },
      ),
    [q, active, stock],
  );
  const list = useList(`skus|${q}|${active}|${stock}`, fetchPage, ['skus', 'stock'], 100);

  return (
    <div className="list-screen">
      <PageHeader title="Catalog" subtitle="Every sellable variant (SKU), its barcodes, packs and bundles" />
      <div className="toolbar">
        <div className="search-field">
          <label htmlFor="catalog-search" className="sr-only">
            Search the catalog
          </label>
          <input
            id="catalog-search"
            data-page-search
            type="search"
            placeholder="Search by SKU, barcode or name"
            value={text}
            autoFocus
            autoComplete="off"
            onChange={(e) => {
              setText(e.target.value);
              setQuery({ q: e.target.value });
            }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') {
                e.preventDefault();
                document.querySelector<HTMLElement>('.datatable-scroll')?.focus();
              }
              if (e.key === 'Enter' && list.items?.length === 1)
                navigate(`/catalog/${encodeURIComponent(list.items[0]!.sku)}`);
            }}
          />
          <Kbd>/</Kbd>
        </div>
        <Segmented
          label="Status"
          value={active}
          onChange={(v) => setQuery({ active: v === 'all' ? null : v })}
          options={[
            { value: 'all', label: 'All' },
            { value: 'active', label: 'Active' },
            { value: 'inactive', label: 'Inactive' },
          ]}
        />
        <Segmented
          label="Stock"
          value={stock}
          onChange={(v) => setQuery({ stock: v === 'all' ? null : v })}
          options={[
            { value: 'all', label: 'Any stock' },
            { value: 'out', label: 'Out of stock' },
            { value: 'low', label: 'Low' },
          ]}
        />
        <span className="toolbar-note" aria-live="polite">
          {list.items
            ? list.hasMore
              ? `${num(list.items.length)}+ SKUs`
              : count(list.items.length, 'SKU')
            : ''}
        </span>
      </div>
      {list.error && !list.items ? (
        <ErrorState error={list.error} onRetry={list.refetch} />
      ) : !list.items ? (
        <Loading rows={8} />
      ) : list.items.length === 0 ? (
        <EmptyState
          title={
            q
              ? `No SKU matches “${q}”`
              : stock !== 'all'
                ? `No SKU is ${stock === 'out' ? 'out of stock' : 'low on stock'}`
                : 'The catalog is empty'
          }
        >
          {q
            ? 'Try part of the name, the start of the SKU, or scan a barcode.'
            : 'Create SKUs through the API or import a CSV.'}
        </EmptyState>
      ) : (
        <DataTable
          label="SKUs"
          rows={list.items}
          columns={columns}
          rowKey={(s) => s.id}
          onOpen={(s) => navigate(`/catalog/${encodeURIComponent(s.sku)}`)}
          hasMore={list.hasMore}
          onEndReached={() => void list.more()}
        />
      )}
    </div>
  );
}
