/** Reservation leases: stock held for a cart or a channel for a while; extend or release them. */
import { useCallback, useEffect, useState } from 'react';
import { api, get, post, qs } from '../lib/api.js';
import { useLocations } from '../lib/catalog-data.js';
import { ago, num, when } from '../lib/format.js';
import { useNow, useSubmit } from '../lib/hooks.js';
import { invalidate, useList } from '../lib/query.js';
import { Link, setQuery, useLocation } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import type { Page, Reservation } from '../lib/types.js';
import { DataTable, type Column } from '../components/DataTable.js';
import { Dialog } from '../components/Dialog.js';
import { useToast } from '../components/Toasts.js';
import {
  Button,
  Chip,
  EmptyState,
  ErrorState,
  FormError,
  Loading,
  PageHeader,
  Segmented,
  SelectField,
  TextField,
  fieldMessage,
} from '../components/ui.js';

type Status = 'active' | 'released' | 'expired' | 'converted' | 'all';

export function Reservations() {
  const session = useSession();
  const toast = useToast();
  const now = useNow(10_000);
  const { query } = useLocation();
  const status = (query.get('status') as Status | null) ?? 'active';
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number, signal: AbortSignal) =>
      get<Page<Reservation>>(
        `/reservations${qs({ status: status === 'all' ? undefined : status, limit, cursor })}`,
        { signal },
      ),
    [status],
  );
  const list = useList(`reservations|${status}`, fetchPage, ['reservations'], 100, 200);
  const canReserve = session.can('reserveStock');

  const act = async (r: Reservation, what: 'extend' | 'release') => {
    setBusy(r.id);
    try {
      if (what === 'extend') await post(`/reservations/${r.id}/extend`, { ttlSeconds: 15 * 60 });
      else await api('DELETE', `/reservations/${r.id}`);
      toast(
        what === 'extend'
          ? `Reservation of ${r.sku} extended by 15 minutes`
          : `Reservation of ${r.sku} released`,
      );
      invalidate(['reservations', 'stock']);
    } catch (err) {
      toast(err instanceof Error ? err.message : 'That did not work', 'error');
    } finally {
      setBusy(null);
    }
  };

  const columns: Column<Reservation>[] = [
    {
      key: 'sku',
      header: 'SKU',
      width: 'minmax(140px, 1fr)',
      fit: (r) => r.sku,
      fitClass: 'mono',
      render: (r) => (
        <Link to={`/catalog/${encodeURIComponent(r.sku)}`} className="mono">
          {r.sku}
        </Link>
      ),
    },
    { key: 'qty', header: 'Quantity', width: '90px', align: 'right', render: (r) => num(r.quantity) },
    {
      key: 'where',
      header: 'Held at',
      width: 'minmax(140px, 1fr)',
      render: (r) =>
        r.allocations
          .map((a) => `${num(a.quantity)} × ${a.location}${a.lot ? ` (${a.lot})` : ''}`)
          .join(', ') ||
        (r.location ?? 'any'),
    },
    { key: 'status', header: 'Status', width: '110px', render: (r) => <Chip value={r.status} /> },
    {
      key: 'expires',
      header: 'Expires',
      width: '160px',
      render: (r) => (
        <time dateTime={r.expiresAt} title={when(r.expiresAt)}>
          {r.status === 'active' ? ago(r.expiresAt, now) : when(r.expiresAt)}
        </time>
      ),
    },
    {
      key: 'ref',
      header: 'Reference',
      width: 'minmax(120px, 1fr)',
      render: (r) =>
        r.orderId ? (
          <Link to={`/orders/${r.orderId}`}>Order</Link>
        ) : (
          (r.reference ?? <span className="muted">—</span>)
        ),
    },
  ];
  if (canReserve) {
    columns.push({
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      width: '170px',
      render: (r) =>
        r.status === 'active' ? (
          <span className="row-actions">
            <Button
              size="sm"
              variant="ghost"
              busy={busy === r.id}
              onClick={() => void act(r, 'extend')}
              aria-label={`Extend reservation of ${r.sku}`}
            >
              +15 min
            </Button>
            <Button
              size="sm"
              variant="ghost"
              busy={busy === r.id}
              onClick={() => void act(r, 'release')}
              aria-label={`Release reservation of ${r.sku}`}
            >
              Release
            </Button>
          </span>
        ) : null,
    });
  }

  return (
    <div className="list-screen">
      <PageHeader
        title="Reservations"
        subtitle="Stock held for carts and channels until an order takes it or the lease expires"
        actions={
          canReserve ? (
            <Button variant="primary" onClick={() => setCreating(true)}>
              New reservation
            </Button>
          ) : null
        }
      />
      <div className="toolbar">
        <Segmented
          label="Status"
          value={status}
          onChange={(v) => setQuery({ status: v === 'active' ? null : v })}
          options={[
            { value: 'active', label: 'Active' },
            { value: 'converted', label: 'Converted' },
            { value: 'released', label: 'Released' },
            { value: 'expired', label: 'Expired' },
            { value: 'all', label: 'All' },
          ]}
        />
      </div>
      {list.error && !list.items ? (
        <ErrorState error={list.error} onRetry={list.refetch} />
      ) : !list.items ? (
        <Loading rows={5} />
      ) : list.items.length === 0 ? (
        <EmptyState title={status === 'active' ? 'No active reservations' : 'No reservations'} />
      ) : (
        <DataTable
          label="Reservations"
          rows={list.items}
          columns={columns}
          rowKey={(r) => r.id}
          hasMore={list.hasMore}
          onEndReached={() => void list.more()}
        />
      )}
      <NewReservationDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function NewReservationDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const toast = useToast();
  const locations = useLocations();
  const [sku, setSku] = useState('');
  const [location, setLocation] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [minutes, setMinutes] = useState('30');
  const [reference, setReference] = useState('');
  const { busy, error, setError, run } = useSubmit();
  useEffect(() => {
    if (open) {
      setSku('');
      setLocation('');
      setQuantity('1');
      setMinutes('30');
      setReference('');
      setError(null);
    }
  }, [open]);
  const submit = async () => {
    await run(async () => {
      await post('/reservations', {
        sku: sku.trim(),
        quantity: Number(quantity),
        ttlSeconds: Math.round(Number(minutes) * 60),
        ...(location ? { location } : {}),
        ...(reference.trim() ? { reference: reference.trim() } : {}),
      });
      toast(`Reserved ${quantity} × ${sku.trim()}`);
      invalidate(['reservations', 'stock']);
      onClose();
    });
  };
  return (
    <Dialog
      open={open}
      title="New reservation"
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel="Reserve"
    >
      <div className="form-grid">
        <TextField
          label="SKU"
          value={sku}
          onChange={(e) => setSku(e.target.value)}
          error={fieldMessage(error, 'sku')}
          required
          autoComplete="off"
        />
        <SelectField
          label="Location"
          value={location}
          onChange={(e) => setLocation(e.target.value)}
          error={fieldMessage(error, 'location')}
        >
          <option value="">Any sellable location</option>
          {locations.data
            ?.filter((l) => l.sellable)
            .map((l) => (
              <option key={l.code} value={l.code}>
                {l.code} — {l.name}
              </option>
            ))}
        </SelectField>
        <TextField
          label="Quantity"
          type="number"
          min={1}
          step={1}
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
          error={fieldMessage(error, 'quantity')}
          required
        />
        <TextField
          label="Hold for (minutes)"
          type="number"
          min={1}
          step={1}
          value={minutes}
          onChange={(e) => setMinutes(e.target.value)}
          error={fieldMessage(error, 'ttlSeconds')}
          required
        />
        <TextField
          label="Reference (optional)"
          value={reference}
          onChange={(e) => setReference(e.target.value)}
          error={fieldMessage(error, 'reference')}
          className="span-2"
          placeholder="Cart or channel reference"
        />
      </div>
      <FormError error={error} shown={['sku', 'location', 'quantity', 'ttlSeconds', 'reference']} />
    </Dialog>
  );
}
