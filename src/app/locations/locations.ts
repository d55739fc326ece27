/** Warehouses and stores with address, coordinates (for routing), bins, and a sellable flag. */
import type { Tx } from '../../db/database.js';
import type { LocationRow } from '../../db/catalog.repo.js';
import { findLocation } from '../../db/catalog.repo.js';
import { nowIso } from '../../domain/clock.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { locationKey, skuProblem } from '../../domain/sku-code.js';

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

/** Creates a location. Non-warehouse kinds other than `store` default to not sellable. Errors: LOCATION_EXISTS. */
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
      address: input.address ? JSON.stringify(input.address) : null,
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
  return (await locationViews(tx, [row]))[0]!;
}

export async function addBins(tx: Tx, locationId: string, codes: readonly string[]): Promise<void> {
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

/** Changes name, address, coordinates or the sellable flag, guarded by `expectedVersion`. */
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
  expectedVersion: number | null,
): Promise<LocationView> {
  const current = await findLocation(tx, code);
  if (!current) throw fieldError('NOT_FOUND', 'code', `Location ${code} does not exist.`);
  // One coordinate may change alone, but the location must end with both or neither.
  const lat = input.lat ?? current.lat;
  const lon = input.lon ?? current.lon;
  if ((lat === null) !== (lon === null))
    throw fieldError('VALIDATION_FAILED', lat === null ? 'lat' : 'lon', 'lat and lon go together');
  let q = tx
    .updateTable('locations')
    .set({
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(input.sellable !== undefined ? { sellable: input.sellable ? 1 : 0 } : {}),
      ...(input.address !== undefined ? { address: JSON.stringify(input.address) } : {}),
      ...(input.lat !== undefined ? { lat: input.lat } : {}),
      ...(input.lon !== undefined ? { lon: input.lon } : {}),
      updated_at: nowIso(),
    })
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', current.id);
  if (expectedVersion !== null) q = q.where('version', '=', expectedVersion);
  const r = await q.executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1)
    throw new DomainError(
      'VERSION_MISMATCH',
      `Location ${current.code} changed since version ${expectedVersion}.`,
    );
  await addBins(tx, current.id, input.bins ?? []);
  const row = await tx
    .selectFrom('locations')
    .selectAll()
    .where('id', '=', current.id)
    .executeTakeFirstOrThrow();
  return (await locationViews(tx, [row]))[0]!;
}
