/** Warehouses and stores with address, coordinates (for routing), bins, and a sellable flag. */
import { tidyAddress } from '../../domain/address.js';
import type { Tx } from '../../db/database.js';
import type { LocationRow } from '../../db/catalog.repo.js';
import { findLocation } from '../../db/catalog.repo.js';
import { nowIso } from '../../domain/clock.js';
import { fieldError } from '../../domain/errors.js';
import { versionAccepted, versionMismatch, type ExpectedVersions } from '../../domain/versions.js';
import { newId } from '../../domain/ids.js';
import { locationKey, skuProblem } from '../../domain/sku-code.js';
import { emit } from '../outbox.js';
import { emitStockChangedIn } from '../stock/availability.js';

export const locationKinds = ['warehouse', 'store', 'quarantine', 'returns', 'transit'] as const;
export type LocationKind = (typeof locationKinds)[number];

export type Address = {
  line1?: string;
  line2?: string;
  city?: string;
  region?: string;
  postalCode?: string;
  country?: string;
};

export type LocationInput = {
  code: string;
  name: string;
  kind: LocationKind;
  address?: Address | undefined;
  lat?: number | undefined;
  lon?: number | undefined;
  sellable?: boolean | undefined;
  bins?: readonly string[] | undefined;
};

export type LocationView = {
  id: string;
  code: string;
  name: string;
  kind: string;
  address: Address | null;
  lat: number | null;
  lon: number | null;
  sellable: boolean;
  bins: Array<{ code: string; sortOrder: number }>;
  version: number;
  createdAt: string;
};

export async function locationViews(tx: Tx, rows: readonly LocationRow[]): Promise<LocationView[]> {
  if (rows.length === 0) return [];
  const bins = await tx
    .selectFrom('bins')
    .selectAll()
    .where(
      'location_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('sort_order')
    .orderBy('code')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    code: r.code,
    name: r.name,
    kind: r.kind,
    address: r.address === null ? null : (JSON.parse(r.address) as Address),
    lat: r.lat,
    lon: r.lon,
    sellable: r.sellable === 1,
    bins: bins.filter((b) => b.location_id === r.id).map((b) => ({ code: b.code, sortOrder: b.sort_order })),
    version: r.version,
    createdAt: r.created_at,
  }));
}

/**
 * Creates a location and emits `location.created`. Non-warehouse kinds other than `store` default
 * to not sellable. Errors: LOCATION_EXISTS.
 */
export async function createLocation(tx: Tx, input: LocationInput): Promise<LocationView> {
  const problem = skuProblem(input.code);
  if (problem) throw fieldError('VALIDATION_FAILED', 'code', problem);
  if ((input.lat === undefined) !== (input.lon === undefined)) {
    throw fieldError('VALIDATION_FAILED', input.lat === undefined ? 'lat' : 'lon', 'lat and lon go together');
  }
  const existing = await findLocation(tx, input.code);
  if (existing) throw fieldError('LOCATION_EXISTS', 'code', `Location ${existing.code} already exists.`);
  const at = nowIso();
  const id = newId('location');
  const sellable = input.sellable ?? (input.kind === 'warehouse' || input.kind === 'store');
  await tx
    .insertInto('locations')
    .values({
      id,
      code: input.code.normalize('NFKC').trim(),
      code_key: locationKey(input.code),
      name: input.name.trim(),
      kind: input.kind,
      address: input.address ? JSON.stringify(tidyAddress(input.address)) : null,
      lat: input.lat ?? null,
      lon: input.lon ?? null,
      sellable: sellable ? 1 : 0,
      version: 1,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await addBins(tx, id, input.bins ?? []);
  const row = await tx.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  await emit(tx, at, [
    {
      type: 'location.created',
      aggregateType: 'location',
      aggregateId: id,
      payload: { code: row.code, name: row.name, kind: row.kind, sellable: row.sellable === 1 },
    },
  ]);
  return (await locationViews(tx, [row]))[0]!;
}

export async function addBins(tx: Tx, locationId: string, given: readonly string[]): Promise<void> {
  // Bin codes are stored and compared trimmed, like location codes: ` A-1 ` is bin A-1.
  const codes = given.map((code) => code.trim());
  if (codes.length === 0) return;
  if (new Set(codes).size !== codes.length)
    throw fieldError('VALIDATION_FAILED', 'bins', 'bin codes must be unique');
  const max = await tx
    .selectFrom('bins')
    .select((eb) => eb.fn.max('sort_order').as('m'))
    .where('location_id', '=', locationId)
    .executeTakeFirst();
  const start = Number(max?.m ?? 0);
  await tx
    .insertInto('bins')
    .values(
      codes.map((code, i) => ({
        id: newId('bin'),
        location_id: locationId,
        code,
        sort_order: start + i + 1,
      })),
    )
    .onConflict((oc) => oc.columns(['location_id', 'code']).doNothing())
    .execute();
}

export async function listLocations(tx: Tx): Promise<LocationView[]> {
  return locationViews(tx, await tx.selectFrom('locations').selectAll().orderBy('code_key').execute());
}

/**
 * Changes name, address, coordinates or the sellable flag, guarded by `expectedVersions` (If-Match),
 * and emits `location.updated`. When the sellable flag flips, what every SKU there can sell changes:
 * one `stock.changed` per SKU with stock at the location, in the same transaction (10,000 SKUs,
 * 10,000 events). Errors: NOT_FOUND, VALIDATION_FAILED, VERSION_MISMATCH.
 */
export async function updateLocation(
  tx: Tx,
  code: string,
  input: {
    name?: string | undefined;
    sellable?: boolean | undefined;
    address?: Address | undefined;
    lat?: number | undefined;
    lon?: number | undefined;
    bins?: readonly string[] | undefined;
  },
  expectedVersions: ExpectedVersions,
): Promise<LocationView> {
  const current = await findLocation(tx, code);
  if (!current) throw fieldError('NOT_FOUND', 'code', `Location ${code} does not exist.`);
  if (expectedVersions !== null && !versionAccepted(expectedVersions, current.version))
    throw versionMismatch(`Location ${current.code}`, expectedVersions, current.version);
  // One coordinate may change alone, but the location must end with both or neither.
  const lat = input.lat ?? current.lat;
  const lon = input.lon ?? current.lon;
  if ((lat === null) !== (lon === null))
    throw fieldError('VALIDATION_FAILED', lat === null ? 'lat' : 'lon', 'lat and lon go together');
  const at = nowIso();
  let q = tx
    .updateTable('locations')
    .set({
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(input.address !== undefined ? { address: JSON.stringify(tidyAddress(input.address)) } : {}),
      ...(input.lat !== undefined ? { lat: input.lat } : {}),
      ...(input.lon !== undefined ? { lon: input.lon } : {}),
      updated_at: at,
    })
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', current.id);
  // Checked again in the UPDATE itself: another change may commit between the read and here.
  if (expectedVersions !== null) q = q.where('version', 'in', expectedVersions);
  const r = await q.executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1)
    throw versionMismatch(`Location ${current.code}`, expectedVersions ?? []);
  // The flag is set by its own conditional statement, so whether it flipped is known without a
  // read another transaction could make stale (the row is locked by the UPDATE above).
  let flipped = false;
  if (input.sellable !== undefined) {
    const sellable = input.sellable ? 1 : 0;
    const s = await tx
      .updateTable('locations')
      .set({ sellable })
      .where('id', '=', current.id)
      .where('sellable', '<>', sellable)
      .executeTakeFirst();
    flipped = Number(s.numUpdatedRows) === 1;
  }
  await addBins(tx, current.id, input.bins ?? []);
  const row = await tx
    .selectFrom('locations')
    .selectAll()
    .where('id', '=', current.id)
    .executeTakeFirstOrThrow();
  await emit(tx, at, [
    {
      type: 'location.updated',
      aggregateType: 'location',
      aggregateId: row.id,
      payload: {
        code: row.code,
        version: row.version,
        changed: Object.keys(input).filter((k) => input[k as keyof typeof input] !== undefined),
        sellable: row.sellable === 1,
      },
    },
  ]);
  if (flipped) await emitStockChangedIn(tx, { locationId: row.id }, at);
  return (await locationViews(tx, [row]))[0]!;
}
