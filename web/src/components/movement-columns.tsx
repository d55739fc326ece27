/** The columns of a stock ledger table, shared by the movements screen and the SKU page. */
import { actorLabel, humanize, signed, when, whenShort } from '../lib/format.js';
import { Link } from '../lib/router.js';
import type { Movement } from '../lib/types.js';
import type { Column } from './DataTable.js';
import { reasonCodes, type StockAction } from './StockDialog.js';
import { Chip } from './ui.js';

/** The dialog whose reason codes a movement of this type was recorded with. */
const actionOf: Partial<Record<string, StockAction>> = {
  adjustment: 'adjust',
  transfer_out: 'transfer',
  transfer_in: 'transfer',
  quarantine: 'quarantine',
  quarantine_release: 'release',
  receipt: 'receive',
};
const anyAction = new Map(Object.values(reasonCodes).flat());

/**
 * A movement's reason as the dialog offered it: `lost` → `Lost or missing`, `damaged: Torn
 * packaging` → `Damaged: Torn packaging`. A reason that is not one of those codes (free text from
 * the API, a count, an order) stays as written.
 */
export function reasonText(type: string, reason: string): string {
  const colon = reason.indexOf(':');
  const code = (colon < 0 ? reason : reason.slice(0, colon)).trim();
  const action = actionOf[type];
  const label = (action && new Map(reasonCodes[action]).get(code)) ?? anyAction.get(code);
  if (!label) return reason;
  const note = colon < 0 ? '' : reason.slice(colon + 1).trim();
  return note ? `${label}: ${note}` : label;
}

const referenceLabel = (r: NonNullable<Movement['reference']>) =>
  `${humanize(r.type)} ${r.id.slice(-8).toUpperCase()}`;

function referenceLink(m: Movement) {
  if (!m.reference) return <span className="muted">—</span>;
  const { type, id } = m.reference;
  const to = type === 'order' ? `/orders/${id}` : type === 'count' ? `/counts/${id}` : null;
  const label = referenceLabel(m.reference);
  return to ? <Link to={to}>{label}</Link> : <span className="muted">{label}</span>;
}

/** `withSku: false` is the compact form for one SKU's page: no SKU, reference or actor column. */
export function movementColumns(opts: { withSku: boolean }): Column<Movement>[] {
  const cols: Column<Movement>[] = [
    {
      key: 'at',
      header: 'When',
      width: '120px',
      fit: (m) => whenShort(m.createdAt),
      render: (m) => (
        <time dateTime={m.createdAt} title={when(m.createdAt)}>
          {whenShort(m.createdAt)}
        </time>
      ),
    },
    {
      key: 'type',
      header: 'Type',
      width: '96px',
      fit: (m) => humanize(m.type),
      fitClass: 'chip',
      render: (m) => <Chip value={m.type} />,
    },
  ];
  if (opts.withSku) {
    cols.push({
      key: 'sku',
      header: 'SKU',
      width: 'minmax(160px, 1.5fr)',
      fit: (m) => m.sku,
      fitClass: 'mono',
      render: (m) => (
        <Link to={`/catalog/${encodeURIComponent(m.sku)}`} className="mono">
          {m.sku}
        </Link>
      ),
    });
  }
  cols.push(
    {
      key: 'location',
      header: 'Location',
      width: opts.withSku ? '80px' : '90px',
      fit: (m) => m.location,
      render: (m) => m.location,
    },
    {
      key: 'lot',
      header: 'Lot',
      width: opts.withSku ? '80px' : '100px',
      optional: true,
      fit: (m) => m.lot ?? '—',
      render: (m) => m.lot ?? <span className="muted">—</span>,
    },
    {
      key: 'qty',
      header: 'Quantity',
      width: '80px',
      align: 'right',
      render: (m) => (
        <span className={m.quantity < 0 ? 'tone-red' : m.quantity > 0 ? 'tone-green' : ''}>
          {signed(m.quantity)}
        </span>
      ),
    },
    {
      key: 'reason',
      header: 'Reason',
      width: 'minmax(100px, 2fr)',
      render: (m) => (
        <span className="truncate" title={m.reason ? reasonText(m.type, m.reason) : undefined}>
          {m.reason ? reasonText(m.type, m.reason) : '—'}
        </span>
      ),
    },
  );
  if (!opts.withSku) return cols;
  cols.push(
    {
      key: 'ref',
      header: 'Reference',
      width: '120px',
      optional: true,
      fit: (m) => (m.reference ? referenceLabel(m.reference) : '—'),
      render: referenceLink,
    },
    {
      key: 'actor',
      header: 'By',
      width: 'minmax(110px, 1fr)',
      optional: true,
      render: (m) => (
        <span className="muted truncate" title={actorLabel(m.actor, m.actorName)}>
          {actorLabel(m.actor, m.actorName)}
        </span>
      ),
    },
  );
  return cols;
}

export const movementTypeOptions: ReadonlyArray<[string, string]> = [
  ['receipt', 'Receipt'],
  ['adjustment', 'Adjustment'],
  ['transfer_out', 'Transfer out'],
  ['transfer_in', 'Transfer in'],
  ['count_correction', 'Count correction'],
  ['quarantine', 'Quarantine'],
  ['quarantine_release', 'Quarantine release'],
  ['scrap', 'Scrap'],
  ['allocation', 'Allocation'],
  ['deallocation', 'Deallocation'],
  ['shipment', 'Shipment'],
  ['return', 'Return'],
];
