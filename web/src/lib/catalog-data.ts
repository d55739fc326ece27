/** Look-ups many screens share: locations (for pickers) and a SKU's stock. */
import { get } from './api.js';
import { useQuery } from './query.js';
import type { Location, Stock } from './types.js';

export function useLocations() {
  return useQuery(
    'locations',
    (signal) => get<{ items: Location[] }>('/locations', { signal }).then((r) => r.items),
    ['locations'],
  );
}

export const skuTag = (sku: string) => `sku:${sku.toUpperCase()}`;

export function useStock(sku: string | null) {
  return useQuery(
    sku === null ? null : `stock|${sku.toUpperCase()}`,
    (signal) => get<Stock>(`/stock/${encodeURIComponent(sku!)}`, { signal }),
    sku === null ? [] : ['stock', skuTag(sku)],
  );
}
