/**
 * How the CLI prints a failure on standard error. A `DomainError` names its code, its message and
 * every field at fault (`VALIDATION_FAILED: The user is invalid.` alone would not say which), in
 * the `field: message` form the CSV importer uses for its rows.
 */
import { DomainError } from '../domain/errors.js';

/** The lines to print for a domain error: its code and message, then one per field error. */
export function domainErrorLines(error: DomainError): string[] {
  const [only, ...more] = error.fields;
  // A one-field error whose message is the field's own (`fieldError`): one line that names it.
  if (only !== undefined && more.length === 0 && only.message === error.message)
    return [`${error.code}: ${only.field}: ${error.message}`];
  return [`${error.code}: ${error.message}`, ...error.fields.map((f) => `  ${f.field}: ${f.message}`)];
}
