/**
 * Locations as CSV. Columns (docs/csv.md): code, name, kind, sellable, lat, lon, addressLine1,
 * addressLine2, city, region, postalCode, country, bins (`A-01-1|A-01-2`, in pick order).
 *
 * Import creates missing locations (`createLocation`) and updates existing ones
 * (`updateLocation`): non-empty cells set values, empty cells leave them; listed bins that do not
 * exist yet are added (bins are never removed by an import). The kind cannot change.
 */
import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { findLocation } from '../../db/catalog.repo.js';
import {
  createLocation,
  listLocations,
  locationViews,
  updateLocation,
  type Address,
  type LocationInput,
} from '../../app/locations/locations.js';
import { fieldError, type FieldError } from '../../domain/errors.js';
import { locationKey, skuProblem } from '../../domain/sku-code.js';
import { CreateLocationBody } from '../../http/schemas/location.schema.js';
import { booleanCell, listCell, listText, numberCell } from './cells.js';
import type { Cell, CsvRow } from './csv-file.js';
import type { Exporter } from './exporter.js';
import type { Importer, Outcome } from './importer.js';
import { checkAgainst } from './row-schema.js';

export const locationColumns = [
  'code',
  'name',
  'kind',
  'sellable',
  'lat',
  'lon',
  'addressLine1',
  'addressLine2',
  'city',
  'region',
  'postalCode',
  'country',
  'bins',
] as const;

const addressColumns: ReadonlyArray<readonly [column: string, field: keyof Address]> = [
  ['addressLine1', 'line1'],
  ['addressLine2', 'line2'],
  ['city', 'city'],
  ['region', 'region'],
  ['postalCode', 'postalCode'],
  ['country', 'country'],
];

type LocationCsvInput = {
  readonly input: LocationInput;
  readonly named: boolean;
  readonly kinded: boolean;
};

function parseLocation(
  row: CsvRow,
): { ok: true; value: LocationCsvInput } | { ok: false; errors: FieldError[] } {
  const c = row.cells;
  const named = (c['name'] ?? '') !== '';
  const kinded = (c['kind'] ?? '') !== '';
  const body: Record<string, unknown> = {
    code: c['code'] ?? '',
    name: named ? c['name'] : '(name)',
    kind: kinded ? c['kind']!.toLowerCase() : 'warehouse',
  };
  if (c['sellable']) body['sellable'] = booleanCell(c['sellable']);
  if (c['lat']) body['lat'] = numberCell(c['lat']);
  if (c['lon']) body['lon'] = numberCell(c['lon']);
  const address: Record<string, string> = {};
  for (const [column, field] of addressColumns) {
    if (c[column]) address[field] = field === 'country' ? c[column].toUpperCase() : c[column];
  }
  if (Object.keys(address).length > 0) body['address'] = address;
  if (c['bins']) body['bins'] = listCell(c['bins']);
  const errors = checkAgainst(CreateLocationBody, body);
  const problem = typeof body['code'] === 'string' ? skuProblem(body['code']) : null;
  if (problem && !errors.some((e) => e.field === 'code')) errors.push({ field: 'code', message: problem });
  if ((body['lat'] === undefined) !== (body['lon'] === undefined)) {
    errors.push({ field: body['lat'] === undefined ? 'lat' : 'lon', message: 'lat and lon go together' });
  }
  const bins = (body['bins'] as string[] | undefined) ?? [];
  const dup = bins.find((b, i) => bins.indexOf(b) !== i);
  if (dup !== undefined) errors.push({ field: 'bins', message: `bin ${dup} is listed twice` });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { input: body as unknown as LocationInput, named, kinded } };
}

async function applyLocation(tx: Transaction<DB>, value: LocationCsvInput): Promise<Outcome> {
  const { input, named, kinded } = value;
  const existing = await findLocation(tx, input.code);
  if (!existing) {
    if (!named || !kinded) {
      throw fieldError(
        'VALIDATION_FAILED',
        named ? 'kind' : 'name',
        `Location ${input.code} is new, so it needs a name and a kind.`,
      );
    }
    await createLocation(tx, input);
    return 'created';
  }
  const [view] = await locationViews(tx, [existing]);
  if (!view) throw new Error(`location ${existing.code} vanished`);
  if (kinded && input.kind !== view.kind) {
    throw fieldError(
      'VALIDATION_FAILED',
      'kind',
      `Location ${view.code} is a ${view.kind}; the kind cannot change once it exists.`,
    );
  }
  const patch: Parameters<typeof updateLocation>[2] = {};
  if (named && input.name.trim() !== view.name) patch.name = input.name;
  if (input.sellable !== undefined && input.sellable !== view.sellable) patch.sellable = input.sellable;
  if (input.lat !== undefined && (input.lat !== view.lat || input.lon !== view.lon)) {
    patch.lat = input.lat;
    patch.lon = input.lon;
  }
  if (input.address) {
    const merged: Address = { ...(view.address ?? {}), ...input.address };
    const canonical = (a: Address | null) => JSON.stringify(addressColumns.map(([, f]) => a?.[f] ?? null));
    if (canonical(merged) !== canonical(view.address)) patch.address = merged;
  }
  const have = new Set(view.bins.map((b) => b.code));
  const newBins = (input.bins ?? []).filter((b) => !have.has(b));
  if (newBins.length > 0) patch.bins = newBins;
  if (Object.keys(patch).length === 0) return 'unchanged';
  await updateLocation(tx, view.code, patch, null);
  return 'updated';
}

export const locationImporter: Importer<LocationCsvInput> = {
  kind: 'locations',
  columns: locationColumns,
  required: ['code'],
  columnOf: (field) => {
    if (field.startsWith('address.')) {
      const f = field.slice('address.'.length);
      return addressColumns.find(([, x]) => x === f)?.[0] ?? 'address';
    }
    return field.split('.')[0]!;
  },
  parse: parseLocation,
  identity: (v) => locationKey(v.input.code),
  changesRules: (v) => v.input.sellable !== undefined,
  apply: (tx, v) => applyLocation(tx, v),
};

export const locationExporter: Exporter = {
  kind: 'locations',
  columns: locationColumns,
  async count(tx) {
    const r = await tx
      .selectFrom('locations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  async *rows(tx) {
    for (const l of await listLocations(tx)) {
      const record: Record<string, Cell> = {
        code: l.code,
        name: l.name,
        kind: l.kind,
        sellable: l.sellable,
        lat: l.lat,
        lon: l.lon,
        bins: listText(l.bins.map((b) => b.code)),
      };
      for (const [column, field] of addressColumns) record[column] = l.address?.[field];
      yield record;
    }
  },
};
