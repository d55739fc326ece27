/**
 * One order: lines with their allocations per location and lot, totals, customer and address,
 * payments, timeline; ship (capturing what is owed) and mark delivered; hold / release, cancel (all
 * or some units, voiding or refunding payments), edit lines; capture, void and refund each payment.
 * Updates live.
 */
import { Fragment, useEffect, useState } from 'react';
import { ApiError, api, get, post, qs } from '../lib/api.js';
import {
  actorLabel,
  count,
  decimalToMinor,
  minorToDecimal,
  money,
  num,
  readableMessage,
  shortId,
  when,
} from '../lib/format.js';
import { useDebounced, useSubmit } from '../lib/hooks.js';
import { invalidate, useQuery } from '../lib/query.js';
import { Link } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import type { Order, Page, Sku } from '../lib/types.js';
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
  TextArea,
  TextField,
  fieldMessage,
} from '../components/ui.js';

type Action = 'hold' | 'release' | 'cancel' | 'edit' | 'ship' | 'deliver' | null;
type PaymentAction = { kind: 'capture' | 'void' | 'refund'; paymentId: string; amountMinor: number };

/**
 * Timeline entries that ask a person to do something: a failed payment step, money to give back, a
 * provider's payment in another currency than the order's.
 */
const needsAction = (type: string) =>
  type.endsWith('_failed') ||
  type === 'payment.refund_due' ||
  type === 'payment.captured_after_cancel' ||
  type === 'payment.currency_mismatch';

const orderTags = (id: string) => ['orders', `order:${id}`, 'stock', 'movements', 'dashboard'];

export function OrderDetail({ id }: { id: string }) {
  const session = useSession();
  const q = useQuery(`order|${id}`, (signal) => get<Order>(`/orders/${encodeURIComponent(id)}`, { signal }), [
    'orders',
    `order:${id}`,
  ]);
  const [action, setAction] = useState<Action>(null);
  const [paymentAction, setPaymentAction] = useState<PaymentAction | null>(null);
  const o = q.data;
  if (q.error && !o) {
    return (q.error as ApiError).status === 404 ? (
      <EmptyState title={`No order ${id}`}>
        <Link to="/orders">Back to orders</Link>
      </EmptyState>
    ) : (
      <ErrorState error={q.error} onRetry={q.refetch} />
    );
  }
  if (!o) return <Loading rows={8} />;
  const canChange = session.can('changeOrders');
  const live = o.status === 'open' || o.status === 'on_hold';
  const address = o.shippingAddress as Record<string, string | undefined> | null;
  const cancellable = o.lines.some((l) => l.quantity - l.shippedQuantity > 0);
  const canShip = session.can('shipOrders');
  const shippable = canShip && o.status === 'open' && o.lines.some((l) => l.allocations.length > 0);
  const deliverable = canShip && o.fulfillmentStatus === 'shipped';
  // Money the payments hold beyond what the order costs now (after cancelled units or edits).
  const held = o.payments.reduce((sum, p) => sum + p.capturedMinor - p.refundedMinor, 0);
  const excess = held - o.totalMinor;
  const owed = Math.max(0, o.totalMinor - held);
  const newestHolding = [...o.payments].reverse().find((p) => p.capturedMinor > p.refundedMinor);
  const actionsFor = (p: Order['payments'][number]): PaymentAction[] => [
    ...(p.status === 'authorized' && o.status !== 'cancelled' && owed > 0
      ? [{ kind: 'capture' as const, paymentId: p.id, amountMinor: Math.min(p.amountMinor, owed) }]
      : []),
    ...(p.status === 'authorized' || p.status === 'pending'
      ? [{ kind: 'void' as const, paymentId: p.id, amountMinor: p.amountMinor }]
      : []),
    ...(p.capturedMinor > p.refundedMinor
      ? [{ kind: 'refund' as const, paymentId: p.id, amountMinor: p.capturedMinor - p.refundedMinor }]
      : []),
  ];

  return (
    <div>
      <PageHeader
        back={<Link to="/orders">← Orders</Link>}
        title={<>Order {o.externalId ? o.externalId : <span className="mono">#{shortId(o.id)}</span>}</>}
        subtitle={
          <span className="chips">
            <Chip value={o.status} />
            <Chip value={o.fulfillmentStatus} />
            <Chip value={o.paymentStatus} />
            <span className="muted">
              {when(o.createdAt)} · via {o.channel}
            </span>
          </span>
        }
        actions={
          <>
            {shippable ? (
              <Button variant="primary" onClick={() => setAction('ship')}>
                Ship…
              </Button>
            ) : null}
            {deliverable ? <Button onClick={() => setAction('deliver')}>Mark delivered…</Button> : null}
            {canChange && live ? (
              <>
                {o.status === 'open' ? (
                  <Button onClick={() => setAction('hold')}>Hold</Button>
                ) : (
                  <Button onClick={() => setAction('release')}>Release hold</Button>
                )}
                <Button onClick={() => setAction('edit')}>Edit lines</Button>
                {cancellable ? (
                  <Button variant="danger" onClick={() => setAction('cancel')}>
                    Cancel…
                  </Button>
                ) : null}
              </>
            ) : null}
          </>
        }
      />
      {excess > 0 && canChange ? (
        <div className="alert alert-warn" role="status">
          Paid {money(excess, o.currency)} more than the order now costs.{' '}
          {newestHolding ? (
            <Button
              onClick={() =>
                setPaymentAction({
                  kind: 'refund',
                  paymentId: newestHolding.id,
                  amountMinor: Math.min(excess, newestHolding.capturedMinor - newestHolding.refundedMinor),
                })
              }
            >
              Refund…
            </Button>
          ) : null}
        </div>
      ) : null}
      {o.status === 'on_hold' && o.holdReason ? (
        <div className="alert alert-warn" role="status">
          On hold: {o.holdReason}
        </div>
      ) : null}
      <div className="detail-grid">
        <div className="detail-main">
          <Card title="Lines">
            <div className="table-wrap">
              <table className="table" aria-label="Order lines">
                <thead>
                  <tr>
                    <th scope="col">SKU</th>
                    <th scope="col">Item</th>
                    <th scope="col" className="num">
                      Qty
                    </th>
                    <th scope="col">Allocated from</th>
                    <th scope="col" className="num">
                      Unit price
                    </th>
                    <th scope="col" className="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {o.lines.map((l) => (
                    <tr key={l.id} className={l.quantity === 0 ? 'muted-row' : ''}>
                      <td>
                        <Link to={`/catalog/${encodeURIComponent(l.sku)}`} className="mono">
                          {l.sku}
                        </Link>
                      </td>
                      <td>
                        {l.name}
                        <div className="chips small">
                          {l.cancelledQuantity > 0 ? (
                            <Chip value="cancelled" label={`${num(l.cancelledQuantity)} cancelled`} />
                          ) : null}
                          {l.backordered > 0 ? (
                            <Chip value="backordered" label={`${num(l.backordered)} backordered`} />
                          ) : null}
                          {l.shippedQuantity > 0 ? (
                            <Chip value="shipped" label={`${num(l.shippedQuantity)} shipped`} />
                          ) : null}
                        </div>
                      </td>
                      <td className="num">{num(l.quantity)}</td>
                      <td>
                        {l.allocations.length === 0 ? (
                          <span className="muted">—</span>
                        ) : (
                          <ul className="plain small">
                            {l.allocations.map((a, i) => (
                              <li key={i}>
                                {num(a.quantity)} × {a.location}
                                {a.lot ? <span className="muted"> · lot {a.lot}</span> : null}
                                {a.sku !== l.sku ? <span className="muted"> · {a.sku}</span> : null}
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                      <td className="num">{money(l.unitPriceMinor, o.currency)}</td>
                      <td className="num">
                        {/* Before the discount, so that the lines add up to the subtotal below. */}
                        {money(l.quantity * l.unitPriceMinor, o.currency)}
                        {l.discountMinor > 0 ? (
                          <div
                            className="muted small"
                            title={`${money(l.totalMinor, o.currency)} after discount`}
                          >
                            −{money(l.discountMinor, o.currency)} discount
                          </div>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  {(
                    [
                      ['Subtotal', o.subtotalMinor],
                      ['Discount', -o.discountMinor],
                      ['Shipping', o.shippingMinor],
                      ['Tax', o.taxMinor],
                    ] as const
                  )
                    .filter(([k, v]) => k === 'Subtotal' || v !== 0)
                    .map(([k, v]) => (
                      <tr key={k}>
                        <td colSpan={5} className="num muted">
                          {k}
                        </td>
                        <td className="num">{money(v, o.currency)}</td>
                      </tr>
                    ))}
                  <tr className="grand-total">
                    <td colSpan={5} className="num">
                      Total
                    </td>
                    <td className="num">{money(o.totalMinor, o.currency)}</td>
                  </tr>
                </tfoot>
              </table>
            </div>
          </Card>
          <Card title="Timeline">
            {o.timeline.length === 0 ? (
              <p className="muted">Nothing yet.</p>
            ) : (
              <ol className="timeline">
                {[...o.timeline].reverse().map((t, i) => (
                  <li key={`${t.at}-${i}`}>
                    <time dateTime={t.at}>{when(t.at)}</time>
                    <div>
                      <Chip value={t.type} tone={needsAction(t.type) ? 'amber' : 'grey'} />{' '}
                      {readableMessage(t.message)}
                      <div className="muted small" title={t.actor}>
                        by {actorLabel(t.actor, t.actorName)}
                      </div>
                    </div>
                  </li>
                ))}
              </ol>
            )}
          </Card>
        </div>
        <div className="detail-side">
          <Card title="Customer">
            <Facts
              items={[
                ['Name', o.customer.name ?? '—'],
                [
                  'Email',
                  <a key="e" href={`mailto:${o.customer.email}`}>
                    {o.customer.email}
                  </a>,
                ],
                [
                  'Orders',
                  <Link key="o" to={`/orders?q=${encodeURIComponent(o.customer.email)}`}>
                    All orders
                  </Link>,
                ],
              ]}
            />
          </Card>
          <Card title="Shipping address">
            {address ? (
              <address>
                {[
                  address['name'],
                  address['line1'],
                  address['line2'],
                  [[address['city'], address['region']].filter(Boolean).join(', '), address['postalCode']]
                    .filter(Boolean)
                    .join(' '),
                  address['country'],
                ]
                  .filter(Boolean)
                  .map((line, i) => (
                    <div key={i}>{line}</div>
                  ))}
              </address>
            ) : (
              <p className="muted">No shipping address.</p>
            )}
          </Card>
          <Card title="Payments">
            {o.payments.length === 0 ? (
              <p className="muted">No payments recorded.</p>
            ) : (
              <table className="table compact">
                <tbody>
                  {o.payments.map((p) => (
                    <Fragment key={p.id}>
                      <tr>
                        <td>
                          {p.provider} <Chip value={p.status} />
                          {p.reference ? <div className="muted small mono">{p.reference}</div> : null}
                        </td>
                        <td className="num">
                          {money(p.amountMinor, o.currency)}
                          {p.capturedMinor > 0 && p.capturedMinor !== p.amountMinor ? (
                            <div className="muted small">{money(p.capturedMinor, o.currency)} captured</div>
                          ) : null}
                          {p.refundedMinor > 0 ? (
                            <div className="muted small">−{money(p.refundedMinor, o.currency)} refunded</div>
                          ) : null}
                        </td>
                      </tr>
                      {canChange && actionsFor(p).length > 0 ? (
                        <tr className="payment-actions-row">
                          <td colSpan={2} className="payment-actions">
                            {actionsFor(p).map((a) => (
                              <Button
                                key={a.kind}
                                size="sm"
                                aria-label={`${paymentVerbs[a.kind]} the ${p.provider} payment ${shortId(p.id)} of ${money(p.amountMinor, o.currency)}`}
                                onClick={() => setPaymentAction(a)}
                              >
                                {paymentVerbs[a.kind]}…
                              </Button>
                            ))}
                          </td>
                        </tr>
                      ) : null}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <Card title="Details">
            <Facts
              items={[
                [
                  'Order id',
                  <span key="id" className="mono small">
                    {o.id}
                  </span>,
                ],
                ['Updated', when(o.updatedAt)],
                ['On shortage', o.onShortage],
                ['Version', String(o.version)],
              ]}
            />
          </Card>
        </div>
      </div>
      <PaymentDialog order={o} action={paymentAction} onClose={() => setPaymentAction(null)} />
      <ShipDialog order={o} open={action === 'ship'} onClose={() => setAction(null)} />
      <DeliverDialog order={o} open={action === 'deliver'} onClose={() => setAction(null)} />
      <HoldDialog
        order={o}
        open={action === 'hold' || action === 'release'}
        release={action === 'release'}
        onClose={() => setAction(null)}
      />
      <CancelDialog order={o} open={action === 'cancel'} onClose={() => setAction(null)} />
      <EditDialog order={o} open={action === 'edit'} onClose={() => setAction(null)} />
    </div>
  );
}

/**
 * A dialog's command on the order (`useSubmit` underneath): `send` posts it, says `done`, refreshes
 * the order and closes the dialog; a failure stays in `error` for the form.
 */
function useOrderCommand(order: Order, onClose: () => void) {
  const toast = useToast();
  const submission = useSubmit();
  const send = (path: string, body: unknown, done: string) =>
    submission.run(async () => {
      await post(`/orders/${order.id}/${path}`, body);
      toast(done);
      invalidate(orderTags(order.id));
      onClose();
    });
  return { ...submission, send };
}

/** Ships everything allocated (shipment movements) and, unless unticked, captures what is owed. */
function ShipDialog({ order, open, onClose }: { order: Order; open: boolean; onClose: () => void }) {
  const [carrier, setCarrier] = useState('');
  const [trackingNumber, setTrackingNumber] = useState('');
  const [capturePayments, setCapturePayments] = useState(true);
  const { busy, error, setError, send } = useOrderCommand(order, onClose);
  useEffect(() => {
    if (!open) return;
    setCarrier('');
    setTrackingNumber('');
    setCapturePayments(true);
    setError(null);
  }, [open]);
  const authorized = order.payments.some((p) => p.status === 'authorized');
  const units = order.lines.reduce((sum, l) => sum + l.allocations.reduce((s, a) => s + a.quantity, 0), 0);
  const submit = () =>
    send(
      'ship',
      {
        ...(carrier.trim() ? { carrier: carrier.trim() } : {}),
        ...(trackingNumber.trim() ? { trackingNumber: trackingNumber.trim() } : {}),
        ...(authorized ? { capturePayments } : {}),
      },
      'Shipped; stock and order updated',
    );
  return (
    <Dialog
      open={open}
      title="Ship what is allocated"
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel="Ship"
    >
      <p className="muted">
        {units === 1
          ? '1 allocated unit leaves its location now'
          : `${count(units, 'allocated unit')} leave their locations now`}
        ; backordered units stay open.
      </p>
      <TextField
        label="Carrier (optional)"
        value={carrier}
        onChange={(e) => setCarrier(e.target.value)}
        error={fieldMessage(error, 'carrier')}
      />
      <TextField
        label="Tracking number (optional)"
        value={trackingNumber}
        onChange={(e) => setTrackingNumber(e.target.value)}
        error={fieldMessage(error, 'trackingNumber')}
      />
      {authorized ? (
        <label className="check-row">
          <input
            type="checkbox"
            checked={capturePayments}
            onChange={(e) => setCapturePayments(e.target.checked)}
          />
          Capture authorised payments (up to what the order owes)
        </label>
      ) : null}
      <FormError error={error} shown={['carrier', 'trackingNumber']} />
    </Dialog>
  );
}

/** Marks a shipped order delivered, now. */
function DeliverDialog({ order, open, onClose }: { order: Order; open: boolean; onClose: () => void }) {
  const { busy, error, setError, send } = useOrderCommand(order, onClose);
  useEffect(() => {
    if (open) setError(null);
  }, [open]);
  const submit = () => send('deliver', {}, 'Marked delivered');
  return (
    <Dialog
      open={open}
      title="Mark the order delivered?"
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel="Mark delivered"
    >
      <p>The customer has the goods: the order&apos;s fulfilment becomes delivered, the last step.</p>
      <FormError error={error} />
    </Dialog>
  );
}

const paymentVerbs = { capture: 'Capture', void: 'Void', refund: 'Refund' } as const;

/** Capture (up to what is owed), void, or refund (part of) one payment through its provider. */
function PaymentDialog({
  order,
  action,
  onClose,
}: {
  order: Order;
  action: PaymentAction | null;
  onClose: () => void;
}) {
  const [amount, setAmount] = useState('');
  const { busy, error, setError, send } = useOrderCommand(order, onClose);
  useEffect(() => {
    if (!action) return;
    setAmount(minorToDecimal(action.amountMinor, order.currency));
    setError(null);
    // Only when the dialog opens: a live refresh of the order must not wipe what is being typed.
  }, [action]);
  const payment = order.payments.find((p) => p.id === action?.paymentId);
  const submit = async () => {
    if (!action) return;
    setError(null);
    const amountMinor = decimalToMinor(amount, order.currency);
    if (action.kind !== 'void' && (amountMinor === null || amountMinor <= 0)) {
      setError(
        new ApiError({
          status: 400,
          title: 'Check the amount',
          errors: [{ field: 'amountMinor', message: 'must be an amount above zero' }],
        }),
      );
      return;
    }
    await send(
      `payments/${action.paymentId}/${action.kind}`,
      action.kind === 'void' ? {} : { amountMinor },
      action.kind === 'void'
        ? 'Payment voided'
        : `${money(amountMinor, order.currency)} ${action.kind === 'capture' ? 'captured' : 'refunded'}`,
    );
  };
  const verb = action ? paymentVerbs[action.kind] : '';
  return (
    <Dialog
      open={action !== null}
      title={`${verb} payment`}
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel={verb}
      submitVariant={action?.kind === 'capture' ? 'primary' : 'danger'}
    >
      {payment ? (
        <p className="muted">
          {payment.provider} payment of {money(payment.amountMinor, order.currency)}
          {payment.reference ? ` (${payment.reference})` : ''}.{' '}
          {action?.kind === 'void'
            ? 'Voiding releases the whole authorisation; nothing is charged.'
            : action?.kind === 'capture'
              ? 'The customer is charged this amount; what is left of the authorisation is released.'
              : 'This amount goes back to the customer.'}
        </p>
      ) : null}
      {action?.kind === 'void' ? null : (
        <TextField
          label={`Amount (${order.currency})`}
          value={amount}
          inputMode="decimal"
          onChange={(e) => setAmount(e.target.value)}
          error={fieldMessage(error, 'amountMinor')}
        />
      )}
      <FormError error={error} shown={['amountMinor']} />
    </Dialog>
  );
}

function HoldDialog({
  order,
  open,
  release,
  onClose,
}: {
  order: Order;
  open: boolean;
  release: boolean;
  onClose: () => void;
}) {
  const [reason, setReason] = useState('');
  const { busy, error, setError, send } = useOrderCommand(order, onClose);
  useEffect(() => {
    if (open) {
      setReason('');
      setError(null);
    }
  }, [open]);
  const submit = () =>
    send(
      release ? 'release' : 'hold',
      release ? undefined : { reason },
      release ? 'Hold released' : 'Order put on hold',
    );
  return (
    <Dialog
      open={open}
      title={release ? 'Release the hold?' : 'Put the order on hold'}
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel={release ? 'Release' : 'Hold order'}
    >
      {release ? (
        <p>The order goes back to open and continues to fulfilment. Its allocations were kept.</p>
      ) : (
        <>
          <p className="muted">Allocated stock stays reserved for the order while it is on hold.</p>
          <TextArea
            label="Reason"
            rows={2}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            error={fieldMessage(error, 'reason')}
            required
            placeholder="e.g. fraud check, address to confirm"
          />
        </>
      )}
      <FormError error={error} shown={['reason']} />
    </Dialog>
  );
}

/**
 * What the cancel dialog cancels: the whole order (every unit not shipped), or some units, counted
 * from 0 on each line. Nothing is chosen when it opens, so a confirm can never cancel more than the
 * operator asked for; the submit button names what will happen.
 */
type CancelMode = 'all' | 'some';

function CancelDialog({ order, open, onClose }: { order: Order; open: boolean; onClose: () => void }) {
  const openOf = (l: Order['lines'][number]) => l.quantity - l.shippedQuantity;
  const open_lines = order.lines.filter((l) => openOf(l) > 0);
  const [mode, setMode] = useState<CancelMode | null>(null);
  const [qty, setQty] = useState<Record<string, string>>({});
  const [reason, setReason] = useState('');
  const [voidPayments, setVoidPayments] = useState(true);
  const [refundPayments, setRefundPayments] = useState(false);
  const { busy, error, setError, send } = useOrderCommand(order, onClose);
  const holds = order.payments.filter((p) => p.status === 'authorized' || p.status === 'pending');
  const taken = order.payments.reduce((sum, p) => sum + p.capturedMinor - p.refundedMinor, 0);
  useEffect(() => {
    if (!open) return;
    setMode(null);
    setQty(Object.fromEntries(order.lines.map((l) => [l.id, '0'])));
    setReason('');
    setVoidPayments(true);
    setRefundPayments(false);
    setError(null);
    // Only when the dialog opens: a live refresh of the order must not wipe what is being typed.
  }, [open]);
  const openUnits = open_lines.reduce((n, l) => n + openOf(l), 0);
  // Units to cancel per line, as chosen; NaN where what was typed is not a whole number in range.
  const chosen = open_lines.map((l) => {
    if (mode === 'all') return openOf(l);
    const text = (qty[l.id] ?? '').trim();
    const n = text === '' ? 0 : Number(text);
    return Number.isInteger(n) && n >= 0 && n <= openOf(l) ? n : NaN;
  });
  const units = mode === null ? 0 : chosen.reduce((a, b) => a + b, 0);
  const everything = mode !== null && open_lines.every((l, i) => chosen[i] === openOf(l));
  // Cancelling every open unit of an order that has shipped some is not cancelling the order: it
  // completes, its payments are not voided, and only what it no longer costs can be refunded.
  const shippedAny = order.lines.some((l) => l.shippedQuantity > 0);
  const wholeOrder = everything && !shippedAny;
  const submitLabel =
    mode === null
      ? 'Choose what to cancel'
      : Number.isNaN(units)
        ? 'Cancel units'
        : units === 0
          ? 'Set the units to cancel'
          : wholeOrder
            ? 'Cancel the whole order'
            : everything
              ? units === 1
                ? 'Cancel the unshipped unit'
                : `Cancel the ${count(units, 'unshipped unit')}`
              : `Cancel ${count(units, 'unit')}`;
  const submit = async () => {
    setError(null);
    if (mode === null || units === 0) return;
    const bad = chosen.findIndex((n) => Number.isNaN(n));
    if (bad >= 0) {
      const l = open_lines[bad]!;
      setError(
        new ApiError({
          status: 400,
          title: 'Check the quantities',
          detail: `Line ${l.sku}: a whole number from 0 to ${openOf(l)}.`,
        }),
      );
      return;
    }
    const lines = open_lines
      .map((l, i) => ({ sku: l.sku, line: l.id, quantity: chosen[i]! }))
      .filter((l) => l.quantity > 0);
    await send(
      'cancel',
      {
        ...(everything ? {} : { lines }),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        ...(wholeOrder && holds.length > 0 ? { voidPayments } : {}),
        ...(taken > 0 ? { refundPayments } : {}),
      },
      wholeOrder
        ? 'Order cancelled; its stock is available again'
        : `Cancelled ${count(units, 'unit')}; the stock is available again`,
    );
  };
  return (
    <Dialog
      open={open}
      title="Cancel order or units"
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel={submitLabel}
      submitDisabled={mode === null || units === 0}
      closeLabel={"Don't cancel"}
      submitVariant="danger"
      wide
    >
      <fieldset className="field choice-list">
        <legend>What to cancel</legend>
        <label>
          <input type="radio" name="cancel-mode" checked={mode === 'all'} onChange={() => setMode('all')} />
          <span>
            {shippedAny ? 'Everything not shipped' : 'The whole order'}
            <span className="muted small">
              {shippedAny
                ? `${count(openUnits, 'unit')}; the shipped units stay and the order completes`
                : `${count(openUnits, 'unit')} on ${count(open_lines.length, 'line')}; the order is cancelled`}
            </span>
          </span>
        </label>
        <label>
          <input type="radio" name="cancel-mode" checked={mode === 'some'} onChange={() => setMode('some')} />
          <span>
            Some units
            <span className="muted small">Choose how many on each line; the rest of the order goes on</span>
          </span>
        </label>
      </fieldset>
      <table className="table compact" aria-label="Lines to cancel">
        <thead>
          <tr>
            <th scope="col">SKU</th>
            <th scope="col">Item</th>
            <th scope="col" className="num">
              {shippedAny ? 'Not shipped' : 'Open'}
            </th>
            {mode === null ? null : (
              <th scope="col" className="num">
                Cancel
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {open_lines.map((l, i) => (
            <tr key={l.id}>
              <td className="mono">{l.sku}</td>
              <td>{l.name}</td>
              <td className="num">{num(openOf(l))}</td>
              {mode === 'all' ? <td className="num strong">{num(openOf(l))}</td> : null}
              {mode === 'some' ? (
                <td className="num">
                  <input
                    className="qty-input"
                    type="number"
                    min={0}
                    max={openOf(l)}
                    step={1}
                    aria-label={`Units of ${l.sku} to cancel`}
                    aria-invalid={Number.isNaN(chosen[i]) ? true : undefined}
                    value={qty[l.id] ?? ''}
                    onFocus={(e) => e.target.select()}
                    onChange={(e) => setQty((q) => ({ ...q, [l.id]: e.target.value }))}
                  />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        Cancelled units release their stock at once.
        {shippedAny ? ' Shipped units stay on the order.' : ''}
      </p>
      <TextField
        label="Reason (optional)"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        error={fieldMessage(error, 'reason')}
      />
      {wholeOrder && holds.length > 0 ? (
        <label className="check-row">
          <input type="checkbox" checked={voidPayments} onChange={(e) => setVoidPayments(e.target.checked)} />
          Void {holds.length === 1 ? 'the authorised payment' : `the ${num(holds.length)} open payments`}{' '}
          (releases the customer&apos;s card hold)
        </label>
      ) : null}
      {taken > 0 && mode !== null ? (
        <label className="check-row">
          <input
            type="checkbox"
            checked={refundPayments}
            onChange={(e) => setRefundPayments(e.target.checked)}
          />
          {wholeOrder
            ? `Refund the ${money(taken, order.currency)} paid`
            : 'Refund what the order no longer costs of what was paid'}
        </label>
      ) : null}
      <FormError error={error} shown={['reason']} />
    </Dialog>
  );
}

type EditLine = { key: string; sku: string; name: string; quantity: string; price: string };

function EditDialog({ order, open, onClose }: { order: Order; open: boolean; onClose: () => void }) {
  const toast = useToast();
  const [lines, setLines] = useState<EditLine[]>([]);
  const { busy, error, setError, run } = useSubmit();
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 150);
  const suggestions = useQuery(
    open && q ? `sku-suggest|${q}` : null,
    (signal) => get<Page<Sku>>(`/skus${qs({ q, limit: 8, active: true })}`, { signal }),
    ['skus'],
  );
  useEffect(() => {
    if (!open) return;
    setLines(
      order.lines
        .filter((l) => l.quantity > 0)
        .map((l) => ({
          key: l.id,
          sku: l.sku,
          name: l.name,
          quantity: String(l.quantity),
          price: minorToDecimal(l.unitPriceMinor, order.currency),
        })),
    );
    setError(null);
    setSearch('');
    // Only when the dialog opens: a live refresh of the order must not wipe the edit in progress.
  }, [open]);

  const add = (s: Sku) => {
    setSearch('');
    if (lines.some((l) => l.sku.toUpperCase() === s.sku.toUpperCase())) return;
    setLines((ls) => [
      ...ls,
      {
        key: `new-${s.sku}`,
        sku: s.sku,
        name: s.name,
        quantity: '1',
        price: s.priceMinor === null ? '' : minorToDecimal(s.priceMinor, order.currency),
      },
    ]);
  };

  const submit = async () => {
    setError(null);
    if (lines.length === 0) {
      setError(
        new ApiError({
          status: 400,
          title: 'An order needs a line',
          detail: 'To drop every line, cancel the order instead.',
        }),
      );
      return;
    }
    const body = lines.map((l, i) => {
      const unitPriceMinor = decimalToMinor(l.price, order.currency);
      return { i, sku: l.sku, quantity: Number(l.quantity), unitPriceMinor };
    });
    const badQty = body.find((l) => !Number.isInteger(l.quantity) || l.quantity < 1);
    if (badQty) {
      setError(
        new ApiError({
          status: 400,
          title: 'Check the form',
          detail: 'Quantities are whole numbers from 1.',
          errors: [{ field: `lines.${badQty.i}.quantity`, message: 'must be a whole number from 1' }],
        }),
      );
      return;
    }
    const badPrice = body.find((l) => l.unitPriceMinor === null);
    if (badPrice) {
      setError(
        new ApiError({
          status: 400,
          title: 'Check the form',
          detail: 'Prices are amounts like 12.50.',
          errors: [{ field: `lines.${badPrice.i}.unitPriceMinor`, message: 'must be an amount like 12.50' }],
        }),
      );
      return;
    }
    await run(async () => {
      try {
        await api(
          'PATCH',
          `/orders/${order.id}`,
          { lines: body.map(({ sku, quantity, unitPriceMinor }) => ({ sku, quantity, unitPriceMinor })) },
          { version: order.version },
        );
        toast('Order updated and re-allocated');
        invalidate(orderTags(order.id));
        onClose();
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) invalidate([`order:${order.id}`]);
        throw err;
      }
    });
  };
  const shown = lines.flatMap((_, i) => [
    `lines.${i}.quantity`,
    `lines.${i}.unitPriceMinor`,
    `lines.${i}.sku`,
  ]);
  return (
    <Dialog
      open={open}
      title="Edit lines"
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel="Save and re-allocate"
      wide
    >
      <p className="muted">
        The order is re-allocated as a whole when you save; if stock is short it is refused and nothing
        changes.
      </p>
      <table className="table compact edit-lines">
        <thead>
          <tr>
            <th scope="col">SKU</th>
            <th scope="col">Item</th>
            <th scope="col" className="num">
              Qty
            </th>
            <th scope="col" className="num">
              Unit price ({order.currency})
            </th>
            <th scope="col">
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l, i) => {
            const qErr = fieldMessage(error, `lines.${i}.quantity`, `lines.${i}.sku`);
            const pErr = fieldMessage(error, `lines.${i}.unitPriceMinor`);
            return (
              <tr key={l.key}>
                <td className="mono">{l.sku}</td>
                <td>{l.name}</td>
                <td className="num">
                  <input
                    className="qty-input"
                    type="number"
                    min={1}
                    step={1}
                    aria-label={`Quantity of ${l.sku}`}
                    aria-invalid={qErr ? true : undefined}
                    value={l.quantity}
                    onChange={(e) =>
                      setLines((ls) =>
                        ls.map((x) => (x.key === l.key ? { ...x, quantity: e.target.value } : x)),
                      )
                    }
                  />
                  {qErr ? <div className="field-error">{qErr}</div> : null}
                </td>
                <td className="num">
                  <input
                    className="price-input"
                    inputMode="decimal"
                    aria-label={`Unit price of ${l.sku}`}
                    aria-invalid={pErr ? true : undefined}
                    value={l.price}
                    onChange={(e) =>
                      setLines((ls) => ls.map((x) => (x.key === l.key ? { ...x, price: e.target.value } : x)))
                    }
                  />
                  {pErr ? <div className="field-error">{pErr}</div> : null}
                </td>
                <td>
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Remove ${l.sku}`}
                    onClick={() => setLines((ls) => ls.filter((x) => x.key !== l.key))}
                  >
                    Remove
                  </Button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="add-line">
        <TextField
          label="Add a SKU"
          placeholder="Search by SKU, barcode or name"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          autoComplete="off"
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              const first = suggestions.data?.items[0];
              if (first) add(first);
            }
          }}
        />
        {q && suggestions.data ? (
          <ul className="suggestions" aria-label="Matching SKUs">
            {suggestions.data.items.length === 0 ? <li className="muted">No SKU matches</li> : null}
            {suggestions.data.items.map((s) => (
              <li key={s.id}>
                <button type="button" onClick={() => add(s)}>
                  <span className="mono">{s.sku}</span> {s.name}{' '}
                  <span className="muted">{money(s.priceMinor, s.currency)}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <FormError error={error} shown={shown} />
    </Dialog>
  );
}
