/**
 * Expected failures are values with a stable `code`; bugs are exceptions.
 * One table (src/http/plugins/errors.ts) maps codes to HTTP status; the CLI maps them to exit codes.
 */
export type FieldError = { readonly field: string; readonly message: string };

export type DomainErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'UNKNOWN_SKU'
  | 'UNKNOWN_LOCATION'
  | 'UNKNOWN_LOT'
  | 'UNKNOWN_BIN'
  | 'SKU_EXISTS'
  | 'LOCATION_EXISTS'
  | 'BARCODE_EXISTS'
  | 'PAYMENT_EXISTS'
  | 'INSUFFICIENT_STOCK'
  | 'NEGATIVE_STOCK'
  | 'LOT_REQUIRED'
  | 'LOT_BLOCKED'
  | 'INVALID_TRANSITION'
  | 'VERSION_MISMATCH'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'DUPLICATE_ORDER'
  | 'TOTAL_MISMATCH'
  | 'RESERVATION_EXPIRED'
  | 'CONFLICT'
  /** A payment provider answered and refused the action (409): its reason is the detail. */
  | 'PAYMENT_REFUSED'
  /** A payment provider could not be reached or failed (502): its reason is the detail. */
  | 'PAYMENT_PROVIDER_ERROR';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly fields: readonly FieldError[] = [],
    readonly data: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Shorthand for an expected failure about one field. */
export function fieldError(code: DomainErrorCode, field: string, message: string): DomainError {
  return new DomainError(code, message, [{ field, message }]);
}
