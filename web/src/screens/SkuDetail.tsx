/**
 * One SKU: details, barcodes, pack sizes, bundle components, stock by location / bin / lot with
 * adjust, transfer and quarantine actions, and its movement history with filters.
 */
import { Fragment, useCallback, useState } from 'react';
import { ApiError, get, post, qs } from '../lib/api.js';
import { skuTag, useStock } from '../lib/catalog-data.js';
import { ago, count, day, money, num } from '../lib/format.js';
import { invalidate, useList, useQuery } from '../lib/query.js';
import { Link } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import type { Movement, Page, Sku, Transfer } from '../lib/types.js';
import { DataTable } from '../components/DataTable.js';
import { movementColumns, movementTypeOptions } from '../components/movement-columns.js';
import { StockDialog, type StockAction } from '../components/StockDialog.js';
import { useToast } from '../components/Toasts.js';
import { Button, Card, Chip, EmptyState, ErrorState, Facts, Loading, PageHeader } from '../components/ui.js';

type DialogState = { action: StockAction; location?: string; lot?: string } | null;

export function SkuDetail({ sku }: { sku: string }) {
  const session = useSession();
  const q = useQuery(
    `sku|${sku.toUpperCase()}`,
    (signal) => get<Sku>(`/skus/${encodeURIComponent(sku)}`, { signal }),
    ['skus', skuTag(sku)],
  );
  const [dialog, setDialog] = useState<DialogState>(null);

  if (q.error && !q.data) {
    const notFound = (q.error as { status?: number }).status === 404;
    return notFound ? (
      <EmptyState title={`No SKU ${sku}`}>
        <Link to="/catalog">Back to the catalog</Link>
      </EmptyState>
    ) : (
      <ErrorState error={q.error} onRetry={q.refetch} />
    );
  }
  if (!q.data) return <Loading rows={6} />;
  const s = q.data;
  const canMove = session.can('moveStock') && !s.isBundle;
  const dims = s.dimensionsMm;

  return (
    <div>
      <PageHeader
        back={<Link to="/catalog">← Catalog</Link>}
        title={s.name}
        subtitle={
          <span className="chips">
            <span className="mono">{s.sku}</span>
            {s.isBundle ? <Chip value="bundle" tone="violet" /> : null}
            {s.tracking === 'lot' ? <Chip value="lot" label="Lot-tracked" tone="blue" /> : null}
            <Chip value={s.active ? 'active' : 'inactive'} tone={s.active ? 'green' : 'grey'} />
          </span>
        }
        actions={
          canMove ? (
            <>
              <Button variant="primary" onClick={() => setDialog({ action: 'adjust' })}>
                Adjust stock
              </Button>
              <Button onClick={() => setDialog({ action: 'transfer' })}>Transfer</Button>
              <Button onClick={() => setDialog({ action: 'quarantine' })}>Quarantine</Button>
              <Button onClick={() => setDialog({ action: 'receive' })}>Receive</Button>
            </>
          ) : null
        }
      />
      <div className="detail-grid">
        <div className="detail-main">
          <StockCard
            sku={s}
            canMove={canMove}
            onAction={(action, location, lot) =>
              setDialog({ action, ...(location ? { location } : {}), ...(lot ? { lot } : {}) })
            }
          />
          <InTransitCard sku={s} canMove={canMove} />
          <MovementsCard sku={s} />
        </div>
        <div className="detail-side">
          <Card title="Details">
            <Facts
              items={[
                ['Price', money(s.priceMinor, s.currency)],
                ['Cost', money(s.costMinor, s.currency)],
                ['Unit', s.unit],
                ['Tax class', s.taxClass ?? '—'],
                [
                  'Tracking',
                  s.tracking === 'lot'
                    ? 'Lots with expiry'
                    : s.tracking === 'serial'
                      ? 'Serial numbers'
                      : 'None',
                ],
                ['Shelf life', s.shelfLifeDays ? count(s.shelfLifeDays, 'day') : '—'],
                [
                  'Min. remaining shelf life',
                  s.minRemainingShelfLifeDays ? count(s.minRemainingShelfLifeDays, 'day') : '—',
                ],
                ['Weight', s.weightGrams !== null ? `${num(s.weightGrams)} g` : '—'],
                [
                  'Dimensions',
                  dims.length && dims.width && dims.height
                    ? `${dims.length} × ${dims.width} × ${dims.height} mm`
                    : '—',
                ],
              ]}
            />
          </Card>
          <Card title="Barcodes">
            {s.barcodes.length === 0 ? (
              <p className="muted">No barcodes.</p>
            ) : (
              <ul className="plain mono">
                {s.barcodes.map((b) => (
                  <li key={b}>{b}</li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Pack sizes">
            {s.packs.length === 0 ? (
              <p className="muted">No pack sizes: handled in single units ({s.unit}).</p>
            ) : (
              <table className="table compact">
                <thead>
                  <tr>
                    <th scope="col">Pack</th>
                    <th scope="col" className="num">
                      Units
                    </th>
                    <th scope="col">Barcode</th>
                  </tr>
                </thead>
                <tbody>
                  {s.packs.map((p) => (
                    <tr key={p.name}>
                      <td>{p.name}</td>
                      <td className="num">{num(p.quantity)}</td>
                      <td className="mono">{p.barcode ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          {s.isBundle ? (
            <Card title="Bundle components">
              <table className="table compact">
                <thead>
                  <tr>
                    <th scope="col">Component</th>
                    <th scope="col" className="num">
                      Per bundle
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {s.components.map((c) => (
                    <tr key={c.sku}>
                      <td>
                        <Link to={`/catalog/${encodeURIComponent(c.sku)}`} className="mono">
                          {c.sku}
                        </Link>
                      </td>
                      <td className="num">{num(c.quantity)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Card>
          ) : null}
        </div>
      </div>
      <StockDialog
        sku={s}
        action={dialog?.action ?? null}
        location={dialog?.location}
        lot={dialog?.lot}
        onClose={() => setDialog(null)}
      />
    </div>
  );
}

function StockCard({
  sku,
  canMove,
  onAction,
}: {
  sku: Sku;
  canMove: boolean;
  onAction: (a: StockAction, location?: string, lot?: string) => void;
}) {
  const stock = useStock(sku.sku);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const today = new Date().toISOString().slice(0, 10);
  const st = stock.data;
  return (
    <Card title="Stock">
      {stock.error && !st ? (
        <ErrorState error={stock.error} onRetry={stock.refetch} />
      ) : !st ? (
        <Loading rows={3} />
      ) : st.locations.length === 0 ? (
        <EmptyState title="No stock anywhere yet">
          {canMove ? 'Receive stock to get started.' : null}
        </EmptyState>
      ) : (
        <>
          <div className="totals" aria-label="Totals">
            {(
              [
                ['On hand', st.totals.onHand],
                ['Allocated', st.totals.allocated],
                ['Quarantined', st.totals.quarantined],
                ['Available', st.totals.available],
                // On its way from another location (a transfer not yet received).
                ...(st.totals.incoming ? ([['Incoming', st.totals.incoming]] as const) : []),
              ] as const
            ).map(([k, v]) => (
              <div key={k} className="total">
                <span>{k}</span>
                <strong data-testid={`total-${k.toLowerCase().replace(' ', '-')}`}>{num(v)}</strong>
              </div>
            ))}
          </div>
          <div className="table-wrap">
            <table className="table" aria-label={`Stock of ${sku.sku} by location`}>
              <thead>
                <tr>
                  <th scope="col">Location</th>
                  <th scope="col">Bin</th>
                  <th scope="col" className="num">
                    On hand
                  </th>
                  <th scope="col" className="num">
                    Allocated
                  </th>
                  <th scope="col" className="num">
                    Quarantined
                  </th>
                  <th scope="col" className="num">
                    Safety
                  </th>
                  <th scope="col" className="num">
                    Available
                  </th>
                  {canMove ? (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {st.locations.map((l) => {
                  const hasLots = (l.lots?.length ?? 0) > 0;
                  const expanded = open[l.location] ?? true;
                  return (
                    <Fragment key={l.location}>
                      <tr className={l.sellable ? '' : 'muted-row'}>
                        <th scope="row">
                          {hasLots ? (
                            <button
                              type="button"
                              className="disclosure"
                              aria-expanded={expanded}
                              onClick={() => setOpen((o) => ({ ...o, [l.location]: !expanded }))}
                            >
                              {l.location}
                            </button>
                          ) : (
                            l.location
                          )}
                          {!l.sellable ? <span className="muted"> · not sellable</span> : null}
                        </th>
                        <td className="mono">{l.bin ?? '—'}</td>
                        <td className="num">{num(l.onHand)}</td>
                        <td className="num">{num(l.allocated)}</td>
                        <td className="num">{num(l.quarantined)}</td>
                        <td className="num muted">{num(l.safetyStock)}</td>
                        <td className="num strong">{num(l.available)}</td>
                        {canMove ? (
                          <td className="row-actions">
                            <Button
                              size="sm"
                              variant="ghost"
                              onClick={() => onAction('adjust', l.location)}
                              aria-label={`Adjust stock at ${l.location}`}
                            >
                              Adjust
                            </Button>
                            {l.quarantined > 0 ? (
                              <Button
                                size="sm"
                                variant="ghost"
                                onClick={() => onAction('release', l.location)}
                                aria-label={`Release quarantine at ${l.location}`}
                              >
                                Release
                              </Button>
                            ) : null}
                          </td>
                        ) : null}
                      </tr>
                      {hasLots && expanded
                        ? l.lots!.map((t) => {
                            const expired = t.expiresOn !== null && t.expiresOn <= today;
                            return (
                              <tr key={`${l.location}|${t.lot}`} className="lot-row">
                                <td>
                                  <span className="lot-label">
                                    Lot <span className="mono">{t.lot}</span>
                                  </span>{' '}
                                  {t.status === 'recalled' ? (
                                    <Chip value="recalled" />
                                  ) : expired ? (
                                    <Chip value="expired" tone="red" />
                                  ) : null}
                                  <div className="muted small">expires {day(t.expiresOn)}</div>
                                </td>
                                <td className="mono">{t.bin ?? '—'}</td>
                                <td className="num">{num(t.onHand)}</td>
                                <td className="num">{num(t.allocated)}</td>
                                <td className="num">{num(t.quarantined)}</td>
                                <td />
                                <td className="num">{num(t.available)}</td>
                                {canMove ? (
                                  <td className="row-actions">
                                    <Button
                                      size="sm"
                                      variant="ghost"
                                      onClick={() => onAction('adjust', l.location, t.lot)}
                                      aria-label={`Adjust lot ${t.lot} at ${l.location}`}
                                    >
                                      Adjust
                                    </Button>
                                  </td>
                                ) : null}
                              </tr>
                            );
                          })
                        : null}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
          {st.components ? (
            <p className="muted small">
              A bundle has no stock of its own: it is available where all of its components are (
              {st.components.map((c) => `${c.sku} ${num(c.available)}`).join(', ')}).
            </p>
          ) : null}
        </>
      )}
    </Card>
  );
}

function MovementsCard({ sku }: { sku: Sku }) {
  const [type, setType] = useState('');
  const [location, setLocation] = useState('');
  const stock = useStock(sku.sku);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number, signal: AbortSignal) =>
      get<Page<Movement>>(
        `/stock/${encodeURIComponent(sku.sku)}/movements${qs({ limit, cursor, type, location })}`,
        { signal },
      ),
    [sku.sku, type, location],
  );
  const list = useList(
    `movements|${sku.sku}|${type}|${location}`,
    fetchPage,
    ['movements', skuTag(sku.sku)],
    50,
  );
  if (sku.isBundle) return null;
  return (
    <Card
      title="Movement history"
      actions={
        <div className="inline-filters">
          <label className="sr-only" htmlFor="mv-type">
            Movement type
          </label>
          <select id="mv-type" value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">All types</option>
            {movementTypeOptions.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
          <label className="sr-only" htmlFor="mv-location">
            Location
          </label>
          <select id="mv-location" value={location} onChange={(e) => setLocation(e.target.value)}>
            <option value="">All locations</option>
            {stock.data?.locations.map((l) => (
              <option key={l.location} value={l.location}>
                {l.location}
              </option>
            ))}
          </select>
        </div>
      }
    >
      {list.error && !list.items ? (
        <ErrorState error={list.error} onRetry={list.refetch} />
      ) : !list.items ? (
        <Loading rows={4} />
      ) : list.items.length === 0 ? (
        <EmptyState title="No movements" />
      ) : (
        <DataTable
          label={`Movements of ${sku.sku}`}
          rows={list.items}
          columns={movementColumns({ withSku: false })}
          rowKey={(m) => m.id}
          hasMore={list.hasMore}
          onEndReached={() => void list.more()}
          maxHeight="420px"
        />
      )}
    </Card>
  );
}

/**
 * Transfers of this SKU still on their way: where from and to, and a Receive action that books
 * them in at the destination (`POST /transfers/{id}/receive`). Hidden when nothing is in transit.
 */
function InTransitCard({ sku, canMove }: { sku: Sku; canMove: boolean }) {
  const toast = useToast();
  const [busy, setBusy] = useState<string | null>(null);
  const transfers = useQuery(
    `transfers|${sku.sku.toUpperCase()}|in_transit`,
    (signal) =>
      get<Page<Transfer>>(`/transfers${qs({ sku: sku.sku, status: 'in_transit', limit: 100 })}`, { signal }),
    ['transfers', 'stock', skuTag(sku.sku)],
  );
  const items = transfers.data?.items ?? [];
  if (items.length === 0) return null;
  const receive = async (t: Transfer) => {
    setBusy(t.id);
    try {
      await post<Transfer>(`/transfers/${encodeURIComponent(t.id)}/receive`, {});
      toast(`Received ${num(t.quantity)} at ${t.toLocation}`);
      // The last one received: this card goes away with the focused button; keep focus on the page.
      if (items.length === 1) document.getElementById('content')?.focus();
    } catch (err) {
      toast(err instanceof ApiError ? err.message : 'The transfer was not received');
    } finally {
      setBusy(null);
      invalidate(['transfers', 'stock', 'movements', skuTag(sku.sku)]);
    }
  };
  return (
    <Card
      title={`In transit · ${num(items.reduce((n, t) => n + t.quantity, 0))}${
        transfers.data?.nextCursor ? `+ (the newest ${count(items.length, 'transfer')} shown)` : ''
      }`}
    >
      <div className="table-wrap">
        <table className="table" aria-label={`Transfers of ${sku.sku} in transit`}>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Lot</th>
              <th scope="col" className="num">
                Quantity
              </th>
              <th scope="col">Sent</th>
              {canMove ? <th scope="col" aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.id}>
                <td>{t.fromLocation}</td>
                <td>{t.toLocation}</td>
                <td>{t.lot ?? <span className="muted">—</span>}</td>
                <td className="num">{num(t.quantity)}</td>
                <td>{ago(t.createdAt)}</td>
                {canMove ? (
                  <td className="num">
                    <Button
                      size="sm"
                      disabled={busy !== null}
                      onClick={() => void receive(t)}
                      aria-label={`Receive ${num(t.quantity)} at ${t.toLocation}`}
                    >
                      Receive
                    </Button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
