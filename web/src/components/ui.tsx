/** Small building blocks shared by every screen: buttons, fields, chips, states, page chrome. */
import {
  useId,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type Ref,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { ApiError } from '../lib/api.js';
import { humanize } from '../lib/format.js';

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  size?: 'sm' | 'md';
  busy?: boolean;
};

export function Button({
  variant = 'secondary',
  size = 'md',
  busy,
  className,
  children,
  disabled,
  ...rest
}: ButtonProps) {
  return (
    <button
      type="button"
      className={`btn btn-${variant} btn-${size}${className ? ` ${className}` : ''}`}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <span className="spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

type FieldShell = { label: string; error?: string | undefined; hint?: ReactNode; className?: string };

/** A labelled control with its hint and its error (from the API's problem+json, by field name). */
function Shell({
  label,
  error,
  hint,
  className,
  id,
  children,
}: FieldShell & { id: string; children: ReactNode }) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && !error ? (
        <div className="field-hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="field-error" id={`${id}-error`} role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

function describedBy(id: string, error?: string, hint?: ReactNode) {
  return error ? `${id}-error` : hint ? `${id}-hint` : undefined;
}

export function TextField({
  label,
  error,
  hint,
  className,
  ref,
  ...rest
}: FieldShell & InputHTMLAttributes<HTMLInputElement> & { ref?: Ref<HTMLInputElement> }) {
  const id = useId();
  return (
    <Shell id={id} label={label} error={error} hint={hint} className={className}>
      <input
        ref={ref}
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error, hint)}
        {...rest}
      />
    </Shell>
  );
}

export function SelectField({
  label,
  error,
  hint,
  className,
  children,
  ...rest
}: FieldShell & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <Shell id={id} label={label} error={error} hint={hint} className={className}>
      <select
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error, hint)}
        {...rest}
      >
        {children}
      </select>
    </Shell>
  );
}

export function TextArea({
  label,
  error,
  hint,
  className,
  ...rest
}: FieldShell & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <Shell id={id} label={label} error={error} hint={hint} className={className}>
      <textarea
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error, hint)}
        {...rest}
      />
    </Shell>
  );
}

/**
 * The part of a failure no field claims: the problem's detail, plus any field errors whose field
 * the form does not show (listed so nothing is lost).
 */
export function FormError({ error, shown = [] }: { error: unknown; shown?: readonly string[] }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const unclaimed = api ? [...api.fields].filter(([f]) => !shown.includes(f)) : [];
  const claimed = api ? [...api.fields.keys()].some((f) => shown.includes(f)) : false;
  if (claimed && unclaimed.length === 0) return null;
  return (
    <div className="alert alert-error" role="alert">
      <strong>{api ? (api.problem.title ?? 'Could not save') : 'Something went wrong'}.</strong>{' '}
      {error instanceof Error ? error.message : 'Please try again.'}
      {unclaimed.length > 0 ? (
        <ul>
          {unclaimed.map(([f, m]) => (
            <li key={f}>
              <code>{f}</code> {m}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The message for `field` in an API error, if it names it. */
export function fieldMessage(error: unknown, ...fields: string[]): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  for (const f of fields) {
    const m = error.field(f);
    if (m) return m;
  }
  return undefined;
}

const tones: Record<string, string> = {
  open: 'blue',
  on_hold: 'amber',
  completed: 'green',
  cancelled: 'grey',
  unallocated: 'grey',
  backordered: 'red',
  allocated: 'blue',
  partially_shipped: 'amber',
  shipped: 'green',
  delivered: 'green',
  pending: 'grey',
  unpaid: 'grey',
  authorized: 'blue',
  paid: 'green',
  partially_paid: 'amber',
  partially_refunded: 'amber',
  refunded: 'grey',
  failed: 'red',
  voided: 'grey',
  active: 'green',
  released: 'grey',
  expired: 'grey',
  converted: 'blue',
  approved: 'green',
  recalled: 'red',
  receipt: 'green',
  return: 'green',
  transfer_in: 'green',
  adjustment: 'amber',
  count_correction: 'amber',
  transfer_out: 'blue',
  shipment: 'blue',
  quarantine: 'red',
  quarantine_release: 'green',
  scrap: 'red',
  allocation: 'violet',
  deallocation: 'grey',
  disabled: 'grey',
};

export function Chip({ value, label, tone }: { value: string; label?: string; tone?: string }) {
  return <span className={`chip chip-${tone ?? tones[value] ?? 'grey'}`}>{label ?? humanize(value)}</span>;
}

export function Loading({ label = 'Loading…', rows = 0 }: { label?: string; rows?: number }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
      {rows > 0 ? (
        <div className="skeleton" aria-hidden="true">
          {Array.from({ length: rows }, (_, i) => (
            <div key={i} className="skeleton-row" />
          ))}
        </div>
      ) : null}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="state state-error" role="alert">
      <h3>Could not load this</h3>
      <p>{message}</p>
      {onRetry ? (
        <Button onClick={onRetry} variant="secondary">
          Try again
        </Button>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <h3>{title}</h3>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

export function PageHeader({
  title,
  subtitle,
  actions,
  back,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
  back?: ReactNode;
}) {
  return (
    <div className="page-header">
      <div>
        {back ? <div className="page-back">{back}</div> : null}
        <h1>{title}</h1>
        {subtitle ? <div className="page-subtitle">{subtitle}</div> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </div>
  );
}

export function Card({
  title,
  actions,
  children,
  className,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section
      className={`card${className ? ` ${className}` : ''}`}
      aria-label={typeof title === 'string' ? title : undefined}
    >
      {title || actions ? (
        <div className="card-header">
          {title ? <h2>{title}</h2> : <span />}
          {actions ? <div className="card-actions">{actions}</div> : null}
        </div>
      ) : null}
      {children}
    </section>
  );
}

/** A group of toggle buttons (filters). */
export function Segmented<T extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: ReadonlyArray<{ value: T; label: string; count?: number | undefined }>;
  onChange: (value: T) => void;
}) {
  return (
    <div className="segmented" role="group" aria-label={label}>
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          aria-pressed={o.value === value}
          className={o.value === value ? 'active' : ''}
          onClick={() => onChange(o.value)}
        >
          {o.label}
          {o.count !== undefined ? <span className="count">{o.count}</span> : null}
        </button>
      ))}
    </div>
  );
}

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd>{children}</kbd>;
}

/** A definition list of label → value pairs. */
export function Facts({ items }: { items: ReadonlyArray<[string, ReactNode]> }) {
  return (
    <dl className="facts">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
