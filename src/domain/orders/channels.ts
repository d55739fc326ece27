/**
 * A channel's name as orders store it: trimmed and in lower case, so `Shopify`, `SHOPIFY` and
 * ` shopify` are one channel and a channel's retry never becomes a second order (migration 0010
 * brought older orders in line).
 */
export const channelName = (channel: string | undefined): string => (channel ?? 'api').trim().toLowerCase();

/** An order's id in its channel as stored: trimmed (ids keep their case: a channel's may differ by it). */
export const externalIdOf = (externalId: string | undefined): string | undefined => externalId?.trim();
