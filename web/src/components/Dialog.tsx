/**
 * A modal dialog on the native <dialog> element: focus moves into it and stays there, the page
 * behind is inert, Escape closes it, and focus returns to what opened it.
 */
import { useEffect, useId, useRef, type FormEvent, type ReactNode } from 'react';
import { Button } from './ui.js';

type Props = {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** When given, the body is a form and the primary button submits it. */
  onSubmit?: (() => void) | undefined;
  submitLabel?: string;
  /** The button that closes without doing anything; say "Close" where "Cancel" would be ambiguous. */
  closeLabel?: string;
  submitVariant?: 'primary' | 'danger';
  /** The primary button is shown but cannot be pressed (nor Enter submit), e.g. until a choice is made. */
  submitDisabled?: boolean;
  busy?: boolean;
  wide?: boolean;
  footer?: ReactNode;
};

export function Dialog({
  open,
  title,
  onClose,
  children,
  onSubmit,
  submitLabel = 'Save',
  closeLabel,
  submitVariant = 'primary',
  submitDisabled,
  busy,
  wide,
  footer,
}: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      const opener = document.activeElement as HTMLElement | null;
      d.showModal();
      const first = d.querySelector<HTMLElement>(
        '[data-autofocus], input:not([type=hidden]):not([disabled]), select, textarea',
      );
      first?.focus();
      return () => {
        if (d.open) d.close();
        opener?.focus?.();
      };
    }
    if (!open && d.open) d.close();
    return undefined;
  }, [open]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!busy && !submitDisabled) onSubmit?.();
  };

  if (!open) return null;
  const body = (
    <>
      <div className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="dialog-body">{children}</div>
      <div className="dialog-footer">
        {footer}
        <Button onClick={onClose} variant="ghost">
          {closeLabel ?? (onSubmit ? 'Cancel' : 'Close')}
        </Button>
        {onSubmit ? (
          <Button type="submit" variant={submitVariant} busy={busy} disabled={submitDisabled}>
            {submitLabel}
          </Button>
        ) : null}
      </div>
    </>
  );
  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' dialog-wide' : ''}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {onSubmit ? (
        <form onSubmit={submit} noValidate>
          {body}
        </form>
      ) : (
        body
      )}
    </dialog>
  );
}
