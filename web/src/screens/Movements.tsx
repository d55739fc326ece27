/** The stock ledger across all SKUs, newest first, filtered by SKU, location, type, reason and dates. */
import { useCallback, useState } from 'react';
import { get, qs } from '../lib/api.js';
import { useLocations } from '../lib/catalog-data.js';
import { count, num } from '../lib/format.js';
import { useDebounced } from '../lib/hooks.js';
import { useList } from '../lib/query.js';
import { setQuery, useLocation } from '../lib/router.js';
import type { Movement, Page } from '../lib/types.js';
import { DataTable } from '../components/DataTable.js';
import { movementColumns, movementTypeOptions } from '../components/movement-columns.js';
import { Button, EmptyState, ErrorState, Loading, PageHeader } from '../components/ui.js';

const columns = movementColumns({ withSku: true });

export function Movements() {
  const { query } = useLocation();
  const locations = useLocations();
  const [sku, setSku] = useState(query.get('sku') ?? '');
  const [reason, setReason] = useState(query.get('reason') ?? '');
  const skuQ = useDebounced(sku.trim(), 250);
  const reasonQ = useDebounced(reason.trim(), 250);
  const type = query.get('type') ?? '';
  const location = query.get('location') ?? '';
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';

  const fetchPage = useCallback(
    (cursor: string | null, limit: number, signal: AbortSignal) =>
      get<Page<Movement>>(
        `/reports/movements${qs({
          sku: skuQ,
          reason: reasonQ,
          type,
          location,
          from,
          // `to` is a day: include all of it.
          to: to ? new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) : '',
          limit,
          cursor,
        })}`,
        { signal },
      ),
    [skuQ, reasonQ, type, location, from, to],
  );
  const list = useList(
    `all-movements|${skuQ}|${reasonQ}|${type}|${location}|${from}|${to}`,
    fetchPage,
    ['movements'],
    100,
  );
  const filtered = Boolean(skuQ || reasonQ || type || location || from || to);

  return (
    <div className="list-screen">
      <PageHeader title="Movements" subtitle="Every change of stock, as recorded in the ledger" />
      <div className="toolbar wrap">
        <div className="search-field">
          <label htmlFor="mv-sku" className="sr-only">
            SKU
          </label>
          <input
            id="mv-sku"
            data-page-search
            type="search"
            placeholder="SKU"
            value={sku}
            onChange={(e) => {
              setSku(e.target.value);
              setQuery({ sku: e.target.value });
            }}
          />
        </div>
        <label className="sr-only" htmlFor="mv-type-all">
          Type
        </label>
        <select id="mv-type-all" value={type} onChange={(e) => setQuery({ type: e.target.value })}>
          <option value="">All types</option>
          {movementTypeOptions.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor="mv-loc-all">
          Location
        </label>
        <select id="mv-loc-all" value={location} onChange={(e) => setQuery({ location: e.target.value })}>
          <option value="">All locations</option>
          {locations.data?.map((l) => (
            <option key={l.code} value={l.code}>
              {l.code}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor="mv-reason">
          Reason contains
        </label>
        <input
          id="mv-reason"
          type="search"
          placeholder="Reason contains…"
          value={reason}
          onChange={(e) => {
            setReason(e.target.value);
            setQuery({ reason: e.target.value });
          }}
        />
        <label className="inline-label">
          From <input type="date" value={from} onChange={(e) => setQuery({ from: e.target.value })} />
        </label>
        <label className="inline-label">
          To <input type="date" value={to} onChange={(e) => setQuery({ to: e.target.value })} />
        </label>
        {filtered ? (
          <Button
            variant="ghost"
            size="sm"
            onClick={() => {
              setSku('');
              setReason('');
              setQuery({ sku: null, reason: null, type: null, location: null, from: null, to: null });
            }}
          >
            Clear filters
          </Button>
        ) : null}
      </div>
      {list.error && !list.items ? (
        <ErrorState error={list.error} onRetry={list.refetch} />
      ) : !list.items ? (
        <Loading rows={8} />
      ) : list.items.length === 0 ? (
        <EmptyState title={filtered ? 'No movement matches these filters' : 'No stock movements yet'} />
      ) : (
        <DataTable
          label="Stock movements"
          rows={list.items}
          columns={columns}
          rowKey={(m) => m.id}
          hasMore={list.hasMore}
          onEndReached={() => void list.more()}
          footer={
            list.hasMore ? `${num(list.items.length)}+ movements` : count(list.items.length, 'movement')
          }
        />
      )}
    </div>
  );
}
