import { uuidv7 } from 'uuidv7';

/** Readable prefixes for every entity id; the suffix is a time-sortable UUIDv7 without dashes. */
export const idPrefixes = {
  product: 'prd',
  sku: 'sku',
  location: 'loc',
  bin: 'bin',
  lot: 'lot',
  movement: 'mov',
  transfer: 'trf',
  count: 'cnt',
  apiKey: 'key',
  user: 'usr',
  session: 'ses',
  customer: 'cus',
  order: 'ord',
  orderLine: 'oln',
  allocation: 'alc',
  reservation: 'res',
  payment: 'pay',
  event: 'evt',
} as const;

export type IdKind = keyof typeof idPrefixes;

/** A new sortable id such as `ord_0190f6c1a2b37c4d8e9f...`. */
export function newId(kind: IdKind): string {
  return `${idPrefixes[kind]}_${uuidv7().replaceAll('-', '')}`;
}
