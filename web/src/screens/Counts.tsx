/**
 * Cycle counts: open a count at a location (expected quantities are frozen), count with a barcode
 * scanner (it types the code and presses Enter) or by hand, then approve to post the variances.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, get, post, qs } from '../lib/api.js';
import { useSubmit } from '../lib/hooks.js';
import { useLocations } from '../lib/catalog-data.js';
import { ago, count, num, signed, when } from '../lib/format.js';
import { invalidate, useList, useQuery } from '../lib/query.js';
import { Link, navigate, setQuery, useLocation } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import type { Count, CountLine, Page } from '../lib/types.js';
import { DataTable, type Column } from '../components/DataTable.js';
import { Dialog } from '../components/Dialog.js';
import { useToast } from '../components/Toasts.js';
import {
  Button,
  Card,
  Chip,
  EmptyState,
  ErrorState,
  Facts,
  FormError,
  Loading,
  PageHeader,
  Segmented,
  SelectField,
  TextArea,
  TextField,
  fieldMessage,
} from '../components/ui.js';

type Status = 'all' | 'open' | 'approved' | 'cancelled';

export function Counts() {
  const session = useSession();
  const { query } = useLocation();
  const status = (query.get('status') as Status | null) ?? 'open';
  const [creating, setCreating] = useState(false);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number, signal: AbortSignal) =>
      get<Page<Count>>(`/counts${qs({ status: status === 'all' ? undefined : status, limit, cursor })}`, {
        signal,
      }),
    [status],
  );
  const list = useList(`counts|${status}`, fetchPage, ['counts'], 100, 500);
  const columns: Column<Count>[] = [
    {
      key: 'id',
      header: 'Count',
      width: '130px',
      render: (c) => (
        <Link to={`/counts/${c.id}`} className="mono">
          {c.id.slice(-8).toUpperCase()}
        </Link>
      ),
    },
    {
      key: 'location',
      header: 'Location',
      width: '110px',
      fit: (c) => c.location,
      render: (c) => c.location,
    },
    { key: 'status', header: 'Status', width: '110px', render: (c) => <Chip value={c.status} /> },
    {
      key: 'progress',
      header: 'Counted',
      width: '140px',
      render: (c) => `${num(c.summary.counted)} of ${num(c.summary.lines)}`,
    },
    {
      key: 'variance',
      header: 'Variance',
      width: '140px',
      align: 'right',
      render: (c) =>
        c.summary.withVariance > 0 ? (
          `${count(c.summary.withVariance, 'line')}, ${signed(c.summary.netVariance)}`
        ) : (
          <span className="muted">none</span>
        ),
    },
    {
      key: 'note',
      header: 'Note',
      width: 'minmax(120px, 2fr)',
      render: (c) => <span className="truncate">{c.note ?? ''}</span>,
    },
    {
      key: 'created',
      header: 'Opened',
      width: '180px',
      fit: (c) => when(c.createdAt),
      render: (c) => when(c.createdAt),
    },
  ];
  return (
    <div className="list-screen">
      <PageHeader
        title="Cycle counts"
        subtitle="Count a location or a few SKUs; approval posts the differences to the ledger"
        actions={
          session.can('countStock') ? (
            <Button variant="primary" onClick={() => setCreating(true)}>
              New count
            </Button>
          ) : null
        }
      />
      <div className="toolbar">
        <Segmented
          label="Status"
          value={status}
          onChange={(v) => setQuery({ status: v === 'open' ? null : v })}
          options={[
            { value: 'open', label: 'Open' },
            { value: 'approved', label: 'Approved' },
            { value: 'cancelled', label: 'Cancelled' },
            { value: 'all', label: 'All' },
          ]}
        />
      </div>
      {list.error && !list.items ? (
        <ErrorState error={list.error} onRetry={list.refetch} />
      ) : !list.items ? (
        <Loading rows={5} />
      ) : list.items.length === 0 ? (
        <EmptyState title={status === 'open' ? 'No open counts' : 'No counts'}>
          {session.can('countStock') ? 'Start one with “New count”.' : null}
        </EmptyState>
      ) : (
        <DataTable
          label="Cycle counts"
          rows={list.items}
          columns={columns}
          rowKey={(c) => c.id}
          onOpen={(c) => navigate(`/counts/${c.id}`)}
          hasMore={list.hasMore}
          onEndReached={() => void list.more()}
        />
      )}
      <NewCountDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function NewCountDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const locations = useLocations();
  const [location, setLocation] = useState('');
  const [skus, setSkus] = useState('');
  const [bins, setBins] = useState('');
  const [note, setNote] = useState('');
  const { busy, error, run } = useSubmit();
  const split = (s: string) =>
    s
      .split(/[\s,;]+/)
      .map((x) => x.trim())
      .filter(Boolean);
  const submit = async () => {
    await run(async () => {
      const body: Record<string, unknown> = { location };
      if (split(skus).length) body['skus'] = split(skus);
      if (split(bins).length) body['bins'] = split(bins);
      if (note.trim()) body['note'] = note.trim();
      const count = await post<Count>('/counts', body);
      invalidate(['counts']);
      onClose();
      navigate(`/counts/${count.id}`);
    });
  };
  return (
    <Dialog
      open={open}
      title="New cycle count"
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel="Open count"
    >
      <SelectField
        label="Location"
        value={location}
        onChange={(e) => setLocation(e.target.value)}
        error={fieldMessage(error, 'location')}
        required
      >
        <option value="" disabled>
          Choose a location
        </option>
        {locations.data?.map((l) => (
          <option key={l.code} value={l.code}>
            {l.code} — {l.name}
          </option>
        ))}
      </SelectField>
      <TextArea
        label="Only these SKUs (optional)"
        rows={2}
        value={skus}
        onChange={(e) => setSkus(e.target.value)}
        error={fieldMessage(error, 'skus')}
        hint="Separate with spaces or commas. Empty: everything in stock here."
      />
      <TextField
        label="Only these bins (optional)"
        value={bins}
        onChange={(e) => setBins(e.target.value)}
        error={fieldMessage(error, 'bins')}
      />
      <TextField
        label="Note (optional)"
        value={note}
        onChange={(e) => setNote(e.target.value)}
        error={fieldMessage(error, 'note')}
      />
      <FormError error={error} shown={['location', 'skus', 'bins', 'note']} />
    </Dialog>
  );
}

type LineFilter = 'all' | 'uncounted' | 'variance';

export function CountDetail({ id }: { id: string }) {
  const session = useSession();
  const toast = useToast();
  const q = useQuery(`count|${id}`, (signal) => get<Count>(`/counts/${encodeURIComponent(id)}`, { signal }), [
    'counts',
    `count:${id}`,
  ]);
  const [filter, setFilter] = useState<LineFilter>('all');
  const [busy, setBusy] = useState<'approve' | 'cancel' | null>(null);
  const [confirm, setConfirm] = useState<'approve' | 'cancel' | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const c = q.data;
  const lines = useMemo(() => {
    const all = c?.lines ?? [];
    if (filter === 'uncounted') return all.filter((l) => l.counted === null);
    if (filter === 'variance') return all.filter((l) => (l.variance ?? 0) !== 0);
    return all;
  }, [c, filter]);

  if (q.error && !c) return <ErrorState error={q.error} onRetry={q.refetch} />;
  if (!c) return <Loading rows={6} />;
  const moved = (c.lines ?? []).filter((l) => l.counted !== null && l.movedSinceOpened !== 0).length;
  const editable = c.status === 'open' && session.can('countStock');

  const act = async (what: 'approve' | 'cancel') => {
    setBusy(what);
    setActionError(null);
    try {
      await post<Count>(`/counts/${c.id}/${what}`);
      toast(what === 'approve' ? 'Count approved: variances posted to the ledger' : 'Count cancelled');
      invalidate(['counts', `count:${c.id}`, 'stock', 'movements', 'dashboard']);
      setConfirm(null);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(null);
    }
  };

  const columns: Column<CountLine>[] = [
    {
      key: 'sku',
      header: 'SKU',
      width: 'minmax(140px, 1fr)',
      fit: (l) => l.sku,
      fitClass: 'mono',
      render: (l) => (
        <Link to={`/catalog/${encodeURIComponent(l.sku)}`} className="mono">
          {l.sku}
        </Link>
      ),
    },
    {
      key: 'lot',
      header: 'Lot',
      width: '120px',
      fit: (l) => l.lot ?? '—',
      render: (l) => l.lot ?? <span className="muted">—</span>,
    },
    {
      key: 'expected',
      header: 'Expected',
      width: '110px',
      align: 'right',
      render: (l) => (
        <>
          {num(l.expected)}
          {l.movedSinceOpened !== 0 && (
            <span
              className="tone-amber"
              title={`Stock here moved by ${signed(l.movedSinceOpened)} since the count was opened. Approval posts counted − expected: if this was counted after that movement, recount what the shelf held at the freeze or correct the counted quantity.`}
            >
              {' '}
              ({signed(l.movedSinceOpened)} since)
            </span>
          )}
        </>
      ),
    },
    {
      key: 'counted',
      header: 'Counted',
      width: '120px',
      align: 'right',
      render: (l) =>
        editable ? (
          <CountedInput countId={c.id} line={l} />
        ) : l.counted === null ? (
          <span className="muted">—</span>
        ) : (
          num(l.counted)
        ),
    },
    {
      key: 'variance',
      header: 'Variance',
      width: '90px',
      align: 'right',
      render: (l) =>
        l.variance === null ? (
          <span className="muted">—</span>
        ) : (
          <span className={l.variance < 0 ? 'tone-red' : l.variance > 0 ? 'tone-green' : ''}>
            {signed(l.variance)}
          </span>
        ),
    },
    {
      key: 'by',
      header: 'When',
      width: '120px',
      optional: true,
      render: (l) => (l.countedAt ? <span className="muted">{ago(l.countedAt)}</span> : ''),
    },
  ];

  return (
    <div>
      <PageHeader
        back={<Link to="/counts">← Cycle counts</Link>}
        title={`Count at ${c.location}`}
        subtitle={
          <span className="chips">
            <Chip value={c.status} />
            <span className="mono muted">{c.id}</span>
          </span>
        }
        actions={
          c.status === 'open' ? (
            <>
              {session.can('moveStock') ? (
                <Button
                  variant="primary"
                  onClick={() => setConfirm('approve')}
                  disabled={c.summary.counted === 0}
                >
                  Approve…
                </Button>
              ) : null}
              {session.can('moveStock') ? (
                <Button variant="danger" onClick={() => setConfirm('cancel')}>
                  Cancel count
                </Button>
              ) : null}
            </>
          ) : null
        }
      />
      <div className="detail-grid">
        <div className="detail-main">
          {editable ? <ScanBox countId={c.id} /> : null}
          <Card
            title={`Lines · ${num(c.summary.counted)} of ${num(c.summary.lines)} counted`}
            actions={
              <Segmented
                label="Show lines"
                value={filter}
                onChange={setFilter}
                options={[
                  { value: 'all', label: 'All', count: c.summary.lines },
                  { value: 'uncounted', label: 'Uncounted', count: c.summary.uncounted },
                  { value: 'variance', label: 'Variance', count: c.summary.withVariance },
                ]}
              />
            }
          >
            {lines.length === 0 ? (
              <EmptyState title="No lines here" />
            ) : (
              <DataTable
                label="Count lines"
                rows={lines}
                columns={columns}
                rowKey={(l) => `${l.sku}|${l.lot ?? ''}`}
                maxHeight="calc(100vh - 360px)"
              />
            )}
          </Card>
        </div>
        <div className="detail-side">
          <Card title="Summary">
            <Facts
              items={[
                ['Location', c.location],
                ['Opened', when(c.createdAt)],
                ['Lines', num(c.summary.lines)],
                ['Counted', num(c.summary.counted)],
                ['With variance', num(c.summary.withVariance)],
                ['Net variance', signed(c.summary.netVariance)],
                ...(c.approvedAt ? ([['Approved', when(c.approvedAt)]] as [string, string][]) : []),
                ...(c.cancelledAt ? ([['Cancelled', when(c.cancelledAt)]] as [string, string][]) : []),
                ...(c.note ? ([['Note', c.note]] as [string, string][]) : []),
              ]}
            />
          </Card>
        </div>
      </div>
      <Dialog
        open={confirm !== null}
        title={confirm === 'approve' ? 'Approve this count?' : 'Cancel this count?'}
        onClose={() => setConfirm(null)}
        onSubmit={() => void act(confirm!)}
        submitLabel={confirm === 'approve' ? 'Approve and post' : 'Cancel count'}
        submitVariant={confirm === 'approve' ? 'primary' : 'danger'}
        busy={busy !== null}
      >
        {confirm === 'approve' ? (
          <p>
            {c.summary.withVariance === 1
              ? '1 line differs'
              : `${count(c.summary.withVariance, 'line')} differ`}{' '}
            from what was expected (net {signed(c.summary.netVariance)}). Approving posts each difference as a
            count correction.{' '}
            {c.summary.uncounted > 0
              ? c.summary.uncounted === 1
                ? '1 uncounted line is left as it is.'
                : `${count(c.summary.uncounted, 'uncounted line')} are left as they are.`
              : ''}
            {moved > 0
              ? ` Stock moved since the count was opened on ${count(moved, 'counted line')} (marked "since"): ${moved === 1 ? 'its correction is counted − expected, so check it was' : 'their corrections are counted − expected, so check they were'} counted as the shelf stood at the freeze.`
              : ''}
          </p>
        ) : (
          <p>Nothing will be posted; counted quantities are kept for the record.</p>
        )}
        <FormError error={actionError} />
      </Dialog>
    </div>
  );
}

/**
 * The scanner: a barcode (or SKU) followed by Enter adds one; pack barcodes add their pack size. A
 * lot-tracked SKU asks once for the lot being counted (offering the lots the count expects); later
 * scans of that SKU count the same lot until the counter changes or forgets it.
 */
function ScanBox({ countId }: { countId: string }) {
  const [code, setCode] = useState('');
  const [last, setLast] = useState<{ text: string; ok: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** Scans of a lot-tracked SKU waiting for their lot (several when the same code is scanned again). */
  const [pending, setPending] = useState<{
    code: string;
    sku: string;
    lots: string[];
    scans: number;
  } | null>(null);
  const [lot, setLot] = useState('');
  /** The lot each lot-tracked SKU's scans count, as the counter named it. */
  const [lotOf, setLotOf] = useState<ReadonlyMap<string, string>>(new Map());
  /** The SKU each scanned code turned out to be, so a known lot goes with the first request. */
  const skuOfCode = useRef(new Map<string, string>());
  const input = useRef<HTMLInputElement>(null);
  const lotInput = useRef<HTMLInputElement>(null);
  const lotsListId = `lots-${countId}`;
  const focusLot = () => setTimeout(() => lotInput.current?.select(), 0);

  /** Records `scans` scans of `value`; says whether it was counted, or waits for a lot. */
  const record = async (
    value: string,
    lotCode: string | undefined,
    scans: number,
  ): Promise<'counted' | 'needs-lot' | 'failed'> => {
    setError(null);
    try {
      const r = await post<{ countId: string; line: CountLine }>(`/counts/${countId}/lines`, {
        barcode: value,
        ...(scans > 1 ? { add: scans } : {}),
        ...(lotCode ? { lot: lotCode } : {}),
      });
      skuOfCode.current.set(value, r.line.sku);
      if (lotCode) setLotOf((m) => new Map(m).set(r.line.sku, lotCode));
      setLast({
        text: `${value} → ${r.line.sku}${r.line.lot ? ` lot ${r.line.lot}` : ''}: counted ${num(r.line.counted ?? 0)}`,
        ok: true,
      });
      invalidate([`count:${countId}`]);
      return 'counted';
    } catch (err) {
      const needs = err instanceof ApiError && err.code === 'LOT_REQUIRED' ? err.problem : null;
      const sku = typeof needs?.['sku'] === 'string' ? needs['sku'] : null;
      if (needs && sku !== null && !lotCode) {
        skuOfCode.current.set(value, sku);
        const known = lotOf.get(sku);
        if (known) return record(value, known, scans);
        const lots = Array.isArray(needs['lots']) ? (needs['lots'] as string[]) : [];
        setPending({ code: value, sku, lots, scans });
        setLot(lots.length === 1 ? lots[0]! : '');
        setLast({ text: `${value} → ${sku}: which lot? Name it and press Enter.`, ok: false });
        return 'needs-lot';
      }
      setError(err);
      setLast({ text: `${value}: ${err instanceof ApiError ? err.message : 'not recorded'}`, ok: false });
      return 'failed';
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = code.trim();
    if (!value) return;
    setCode('');
    const sku = skuOfCode.current.get(value);
    const known = sku === undefined ? undefined : lotOf.get(sku);
    if (pending && known === undefined) {
      if (pending.code === value) {
        // The same item again while its lot is asked: it waits with the first.
        const scans = pending.scans + 1;
        setPending({ ...pending, scans });
        setLast({
          text: `${value} → ${pending.sku}: ${count(scans, 'scan')} wait for their lot.`,
          ok: false,
        });
        focusLot();
        return;
      }
      setPending(null);
    }
    const outcome = await record(value, known, 1);
    if (outcome === 'needs-lot') focusLot();
    else input.current?.focus();
    if (pending && pending.code !== value && known === undefined)
      setLast((l) => ({
        text: `${l?.text ?? ''} (${count(pending.scans, 'earlier scan')} of ${pending.code} not counted: no lot named)`,
        ok: false,
      }));
  };
  const submitLot = async (e: FormEvent) => {
    e.preventDefault();
    const chosen = lot.trim();
    if (!pending || !chosen) return;
    if (chosen === pending.code) {
      // The scanner read the item again into the lot field: one more scan waiting for the lot.
      const scans = pending.scans + 1;
      setPending({ ...pending, scans });
      setLot(pending.lots.length === 1 ? pending.lots[0]! : '');
      setLast({ text: `${chosen} → ${pending.sku}: ${count(scans, 'scan')} wait for their lot.`, ok: false });
      focusLot();
      return;
    }
    const waiting = pending;
    if ((await record(waiting.code, chosen, waiting.scans)) === 'counted') {
      setPending((p) => (p === waiting ? null : p));
      input.current?.focus();
    } else {
      focusLot(); // a lot that does not exist: the scans still wait, the message says why
    }
  };
  const forget = (sku: string) =>
    setLotOf((m) => {
      const next = new Map(m);
      next.delete(sku);
      return next;
    });

  return (
    <Card title="Scan">
      <form onSubmit={(e) => void submit(e)} className="scan-form">
        <TextField
          label="Barcode or SKU"
          hint="Scan with a barcode scanner, or type and press Enter. Each scan adds one unit (a pack barcode adds the pack)."
          ref={input}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          autoFocus
          autoComplete="off"
          spellCheck={false}
          data-page-search
          error={pending ? undefined : fieldMessage(error, 'barcode', 'sku', 'lot')}
        />
        <Button type="submit" variant="secondary">
          Add
        </Button>
      </form>
      {pending ? (
        <form onSubmit={(e) => void submitLot(e)} className="scan-form">
          <TextField
            label={`Lot of ${pending.sku}`}
            hint={
              pending.lots.length > 0
                ? `This count expects ${pending.lots.join(', ')}. Later scans of ${pending.sku} count the same lot.`
                : `Later scans of ${pending.sku} count the same lot.`
            }
            ref={lotInput}
            value={lot}
            onChange={(e) => setLot(e.target.value)}
            list={lotsListId}
            autoComplete="off"
            spellCheck={false}
            error={fieldMessage(error, 'lot')}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                setPending(null);
                input.current?.focus();
              }
            }}
          />
          <datalist id={lotsListId}>
            {pending.lots.map((l) => (
              <option key={l} value={l} />
            ))}
          </datalist>
          <Button type="submit" variant="secondary">
            Count lot
          </Button>
        </form>
      ) : null}
      <div
        className={`scan-result${last ? (last.ok ? ' ok' : ' bad') : ''}`}
        role="status"
        aria-live="assertive"
      >
        {last?.text ?? 'Waiting for a scan…'}
      </div>
      {lotOf.size > 0 ? (
        <ul className="scan-lots" aria-label="Lots being counted">
          {[...lotOf].map(([sku, l]) => (
            <li key={sku}>
              {sku}: lot {l}{' '}
              <Button variant="ghost" onClick={() => forget(sku)}>
                Change lot
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  );
}

function CountedInput({ countId, line }: { countId: string; line: CountLine }) {
  const [value, setValue] = useState(line.counted === null ? '' : String(line.counted));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const shown = line.counted === null ? '' : String(line.counted);
  const focused = useRef(false);
  // Scans change the line under this input: follow them unless the user is typing here.
  useEffect(() => {
    if (!focused.current) setValue(shown);
  }, [shown]);
  const commit = async () => {
    if (value === shown) return;
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < 0) {
      setError('Whole number, 0 or more');
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await post(`/counts/${countId}/lines`, {
        sku: line.sku,
        ...(line.lot ? { lot: line.lot } : {}),
        counted: n,
      });
      invalidate([`count:${countId}`]);
    } catch (err) {
      setError(err instanceof ApiError ? (err.field('counted') ?? err.message) : 'Not saved');
    } finally {
      setSaving(false);
    }
  };
  return (
    <span className="counted-input">
      <input
        type="number"
        min={0}
        step={1}
        inputMode="numeric"
        aria-label={`Counted ${line.sku}${line.lot ? ` lot ${line.lot}` : ''}`}
        aria-invalid={error ? true : undefined}
        title={error ?? undefined}
        value={value}
        disabled={saving}
        onChange={(e) => setValue(e.target.value)}
        onFocus={() => {
          focused.current = true;
        }}
        onBlur={() => {
          focused.current = false;
          void commit();
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            void commit();
          }
        }}
      />
      {error ? (
        <span className="sr-only" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}
