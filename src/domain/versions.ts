/**
 * Optimistic concurrency on versioned resources (SKUs, locations, orders), whose ETag is their
 * version number as a strong tag (`"3"`).
 */
import { DomainError } from './errors.js';

/**
 * The versions a conditional change accepts: `null` accepts any (no `If-Match`, or `If-Match: *`,
 * which only needs the resource to exist); a list accepts the current version only if it is one of
 * them, so the empty list (only weak or foreign ETags were sent) accepts none.
 */
export type ExpectedVersions = readonly number[] | null;

export function versionAccepted(expected: ExpectedVersions, version: number): boolean {
  return expected === null || expected.includes(version);
}

/**
 * VERSION_MISMATCH (412) for `what` ("SKU KIB-1", "Order ord_…"), naming the versions asked for and,
 * when known, the current one (also in `data.currentVersion`).
 */
export function versionMismatch(what: string, expected: readonly number[], current?: number): DomainError {
  const now = current === undefined ? 'has changed' : `is at version ${current}`;
  const message =
    expected.length === 0
      ? `${what} ${now}, and If-Match named no version of it: it compares strong ETags, so a weak one (W/"3") never matches; send the ETag from GET as it is.`
      : `${what} ${now}, not ${expected.join(' or ')}; fetch it again.`;
  return new DomainError(
    'VERSION_MISMATCH',
    message,
    [],
    current === undefined ? {} : { currentVersion: current },
  );
}
