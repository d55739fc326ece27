/**
 * Adjust, transfer, quarantine, release from quarantine, or receive stock of one SKU: one dialog,
 * one `POST /stock/movements`, with reason codes. What the API refuses shows next to the field it
 * names (quantity, lot, location…).
 */
import { useEffect, useMemo, useState } from 'react';
import { invalid, post } from '../lib/api.js';
import { skuTag, useLocations, useStock } from '../lib/catalog-data.js';
import { day, num, signed } from '../lib/format.js';
import { useSubmit } from '../lib/hooks.js';
import { invalidate } from '../lib/query.js';
import type { Sku } from '../lib/types.js';
import { Dialog } from './Dialog.js';
import { useToast } from './Toasts.js';
import { FormError, SelectField, TextField, fieldMessage } from './ui.js';

export type StockAction = 'adjust' | 'transfer' | 'quarantine' | 'release' | 'receive';

const titles: Record<StockAction, string> = {
  adjust: 'Adjust stock',
  transfer: 'Transfer stock',
  quarantine: 'Quarantine stock',
  release: 'Release from quarantine',
  receive: 'Receive stock',
};

const submitLabels: Record<StockAction, string> = {
  adjust: 'Adjust',
  transfer: 'Transfer',
  quarantine: 'Quarantine',
  release: 'Release',
  receive: 'Receive',
};

/** Reason codes per action; the code (and an optional note) is stored as the movement's reason. */
export const reasonCodes: Record<StockAction, ReadonlyArray<[string, string]>> = {
  adjust: [
    ['damaged', 'Damaged'],
    ['lost', 'Lost or missing'],
    ['found', 'Found'],
    ['expired', 'Expired'],
    ['theft', 'Theft'],
    ['data_correction', 'Data correction'],
    ['other', 'Other'],
  ],
  transfer: [
    ['rebalance', 'Rebalance between warehouses'],
    ['store_replenishment', 'Store replenishment'],
    ['other', 'Other'],
  ],
  quarantine: [
    ['damaged', 'Damaged'],
    ['qc_hold', 'Quality check'],
    ['recall', 'Recall'],
    ['customer_return', 'Customer return'],
    ['other', 'Other'],
  ],
  release: [
    ['qc_passed', 'Quality check passed'],
    ['other', 'Other'],
  ],
  receive: [
    ['supplier_delivery', 'Supplier delivery'],
    ['return_to_stock', 'Return to stock'],
    ['other', 'Other'],
  ],
};

type Props = {
  sku: Sku;
  action: StockAction | null;
  location?: string | undefined;
  lot?: string | undefined;
  onClose: () => void;
};

export function StockDialog({ sku, action, location, lot, onClose }: Props) {
  const open = action !== null;
  const locations = useLocations();
  const stock = useStock(open ? sku.sku : null);
  const toast = useToast();
  const [loc, setLoc] = useState('');
  const [toLoc, setToLoc] = useState('');
  const [lotCode, setLotCode] = useState('');
  const [expiresOn, setExpiresOn] = useState('');
  const [bin, setBin] = useState('');
  const [direction, setDirection] = useState<'remove' | 'add'>('remove');
  const [quantity, setQuantity] = useState('');
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const { busy, error, setError, run } = useSubmit();

  useEffect(() => {
    if (!action) return;
    setLoc(location ?? '');
    setToLoc('');
    setLotCode(lot ?? '');
    setExpiresOn('');
    setBin('');
    setDirection('remove');
    setQuantity('');
    setReason(reasonCodes[action][0]![0]);
    setNote('');
    setError(null);
  }, [action, location, lot]);

  const here = stock.data?.locations.find((l) => l.location === loc);
  const lots = useMemo(() => here?.lots ?? [], [here]);
  useEffect(() => {
    if (!loc && stock.data && action && action !== 'receive') {
      const first = stock.data.locations.find((l) => l.onHand > 0);
      if (first) setLoc(first.location);
    }
  }, [stock.data, loc, action]);
  useEffect(() => {
    if (action === 'receive' || sku.tracking === 'none') return;
    if (lotCode && lots.some((l) => l.lot === lotCode)) return;
    setLotCode(lots[0]?.lot ?? '');
  }, [lots, lotCode, action, sku.tracking]);

  if (!action) return null;
  // A serial-tracked SKU's serial number travels in `lot`, one unit per movement.
  const lotTracked = sku.tracking === 'lot' || sku.tracking === 'serial';
  const lotLabel = sku.tracking === 'serial' ? 'Serial number' : 'Lot';
  const selectedLot = lots.find((l) => l.lot === lotCode);
  const counters = selectedLot ?? here;

  const submit = async () => {
    setError(null);
    const n = Number(quantity);
    if (!quantity.trim() || !Number.isInteger(n) || n <= 0) {
      setError(invalid('quantity', 'must be a whole number above 0'));
      return;
    }
    const code = reason || 'other';
    const reasonText = note.trim() ? `${code}: ${note.trim()}` : code;
    const body: Record<string, unknown> = {
      type:
        action === 'adjust'
          ? 'adjustment'
          : action === 'release'
            ? 'quarantine_release'
            : action === 'receive'
              ? 'receipt'
              : action,
      sku: sku.sku,
      location: loc,
      quantity: action === 'adjust' && direction === 'remove' ? -n : n,
      reason: reasonText,
    };
    if (lotTracked && lotCode) body['lot'] = lotCode;
    if (action === 'receive' && expiresOn) body['expiresOn'] = expiresOn;
    if (action === 'receive' && bin.trim()) body['bin'] = bin.trim();
    if (action === 'transfer') body['toLocation'] = toLoc;
    await run(async () => {
      await post('/stock/movements', body);
      const verb =
        action === 'adjust'
          ? `Adjusted ${sku.sku} by ${signed(body['quantity'] as number)} at ${loc}`
          : action === 'transfer'
            ? `Sent ${num(n)} × ${sku.sku} from ${loc} to ${toLoc}`
            : action === 'quarantine'
              ? `Quarantined ${num(n)} × ${sku.sku} at ${loc}`
              : action === 'release'
                ? `Released ${num(n)} × ${sku.sku} from quarantine at ${loc}`
                : `Received ${num(n)} × ${sku.sku} at ${loc}`;
      toast(verb);
      invalidate(['stock', skuTag(sku.sku), 'movements', 'dashboard']);
      onClose();
    });
  };

  const fieldError = (f: string) => fieldMessage(error, f);

  const allLocations = locations.data ?? [];
  const sourceOptions =
    action === 'receive'
      ? allLocations.map((l) => l.code)
      : (stock.data?.locations.map((l) => l.location) ?? []);
  // The fields this dialog shows: a problem naming another field (or one not shown here, as `lot`
  // for an untracked SKU) is written under the form, never dropped.
  const shown = [
    'quantity',
    'location',
    'reason',
    ...(lotTracked ? ['lot'] : []),
    ...(action === 'transfer' ? ['toLocation'] : []),
    ...(action === 'receive' ? ['bin'] : []),
    ...(action === 'receive' && sku.tracking === 'lot' ? ['expiresOn'] : []),
  ];

  return (
    <Dialog
      open
      title={`${titles[action]} · ${sku.sku}`}
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel={submitLabels[action]}
    >
      <p className="muted dialog-lead">{sku.name}</p>
      <div className="form-grid">
        <SelectField
          label={action === 'transfer' ? 'From location' : 'Location'}
          className={action === 'transfer' ? undefined : 'span-2'}
          value={loc}
          onChange={(e) => setLoc(e.target.value)}
          error={fieldError('location')}
          required
        >
          <option value="" disabled>
            Choose a location
          </option>
          {sourceOptions.map((code) => (
            <option key={code} value={code}>
              {code}
              {allLocations.find((l) => l.code === code)
                ? ` — ${allLocations.find((l) => l.code === code)!.name}`
                : ''}
            </option>
          ))}
        </SelectField>
        {action === 'transfer' ? (
          <SelectField
            label="To location"
            value={toLoc}
            onChange={(e) => setToLoc(e.target.value)}
            error={fieldError('toLocation')}
            required
          >
            <option value="" disabled>
              Choose a location
            </option>
            {allLocations
              .filter((l) => l.code !== loc)
              .map((l) => (
                <option key={l.code} value={l.code}>
                  {l.code} — {l.name}
                </option>
              ))}
          </SelectField>
        ) : null}
        {lotTracked && action === 'receive' ? (
          <>
            <TextField
              label={lotLabel}
              value={lotCode}
              onChange={(e) => setLotCode(e.target.value)}
              error={fieldError('lot')}
              required
            />
            {sku.tracking === 'lot' ? (
              <TextField
                label="Best before"
                type="date"
                value={expiresOn}
                onChange={(e) => setExpiresOn(e.target.value)}
                error={fieldError('expiresOn')}
                hint="Defaults from the shelf life"
              />
            ) : null}
          </>
        ) : lotTracked ? (
          <SelectField
            label={lotLabel}
            value={lotCode}
            onChange={(e) => setLotCode(e.target.value)}
            error={fieldError('lot')}
            required
          >
            {lots.length === 0 ? (
              <option value="">
                {sku.tracking === 'serial' ? 'No serial numbers here' : 'No lots here'}
              </option>
            ) : null}
            {lots.map((l) => (
              <option key={l.lot} value={l.lot}>
                {l.lot} · {l.expiresOn ? `expires ${day(l.expiresOn)}` : 'no expiry'} · {num(l.onHand)} on
                hand
              </option>
            ))}
          </SelectField>
        ) : null}
        {action === 'receive' ? (
          <TextField
            label="Bin (optional)"
            value={bin}
            onChange={(e) => setBin(e.target.value)}
            error={fieldError('bin')}
          />
        ) : null}
        {action === 'adjust' ? (
          <fieldset className="field radio-row">
            <legend>Change</legend>
            <label>
              <input
                type="radio"
                name="direction"
                checked={direction === 'remove'}
                onChange={() => setDirection('remove')}
              />{' '}
              Remove units
            </label>
            <label>
              <input
                type="radio"
                name="direction"
                checked={direction === 'add'}
                onChange={() => setDirection('add')}
              />{' '}
              Add units
            </label>
          </fieldset>
        ) : null}
        <TextField
          label="Quantity"
          type="number"
          inputMode="numeric"
          min={1}
          step={1}
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
          error={fieldError('quantity')}
          hint={
            counters
              ? `${num(counters.onHand)} on hand · ${num(counters.allocated)} allocated · ${num(counters.quarantined)} quarantined here`
              : undefined
          }
          required
        />
        <SelectField
          label="Reason"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={fieldError('reason')}
        >
          {reasonCodes[action].map(([code, label]) => (
            <option key={code} value={code}>
              {label}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Note (optional)"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          maxLength={300}
          className="span-2"
        />
      </div>
      <FormError error={error} shown={shown} />
    </Dialog>
  );
}
