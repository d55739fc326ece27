import type { Tx } from '../../db/database.js';
import { findSku } from '../../db/catalog.repo.js';
import { nowIso } from '../../domain/clock.js';
import { barcodeKind, validateSkuDraft } from '../../domain/catalog/sku.js';
import { assertBarcodesFree } from './barcodes.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { versionAccepted, versionMismatch, type ExpectedVersions } from '../../domain/versions.js';
import { skuView, type SkuView } from './sku-view.js';
import type { CreateSkuInput } from './create-sku.js';
import { emit } from '../outbox.js';
import { emitStockChangedIn } from '../stock/availability.js';

export type UpdateSkuInput = Partial<
  Omit<CreateSkuInput, 'sku' | 'components' | 'tracking' | 'productId' | 'productName'>
>;

/**
 * Changes a SKU's attributes and emits `sku.updated`. With `expectedVersions` (from `If-Match`) the
 * update applies only if the SKU is still at one of them; otherwise VERSION_MISMATCH. The SKU code,
 * tracking mode and bundle composition are fixed once stock or orders may refer to them. When the
 * active flag or the minimum remaining shelf life (which lots may be sold) changes, also one
 * `stock.changed` per location holding the SKU, in the same transaction.
 */
export async function updateSku(
  tx: Tx,
  code: string,
  input: UpdateSkuInput,
  expectedVersions: ExpectedVersions,
): Promise<SkuView> {
  const current = await findSku(tx, code);
  if (!current) throw fieldError('NOT_FOUND', 'sku', `SKU ${code} does not exist.`);
  if (expectedVersions !== null && !versionAccepted(expectedVersions, current.version))
    throw versionMismatch(`SKU ${current.sku}`, expectedVersions, current.version);
  // The code is not being changed: rules added since it was created (no invisible characters) must
  // not stop a stored SKU from being edited or deactivated.
  const errors = validateSkuDraft({
    sku: current.sku,
    name: input.name ?? current.name,
    ...input,
    tracking: current.tracking,
  }).filter((e) => e.field !== 'sku');
  if (errors.length > 0)
    throw new DomainError(
      'VALIDATION_FAILED',
      `The SKU is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      errors,
    );
  await assertBarcodesFree(
    tx,
    [...(input.barcodes ?? []), ...(input.packs ?? []).flatMap((p) => (p.barcode ? [p.barcode] : []))],
    current.id,
  );
  const at = nowIso();
  let q = tx
    .updateTable('skus')
    .set({
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(input.unit !== undefined ? { unit: input.unit.trim() } : {}),
      ...(input.costMinor !== undefined ? { cost_minor: input.costMinor } : {}),
      ...(input.priceMinor !== undefined ? { price_minor: input.priceMinor } : {}),
      ...(input.currency !== undefined ? { currency: input.currency } : {}),
      ...(input.taxClass !== undefined ? { tax_class: input.taxClass?.trim() || null } : {}),
      ...(input.shelfLifeDays !== undefined ? { shelf_life_days: input.shelfLifeDays } : {}),
      ...(input.weightGrams !== undefined ? { weight_grams: input.weightGrams } : {}),
      ...(input.dimensionsMm?.length !== undefined ? { length_mm: input.dimensionsMm.length } : {}),
      ...(input.dimensionsMm?.width !== undefined ? { width_mm: input.dimensionsMm.width } : {}),
      ...(input.dimensionsMm?.height !== undefined ? { height_mm: input.dimensionsMm.height } : {}),
      updated_at: at,
    })
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', current.id);
  // Checked again in the UPDATE itself: another change may commit between the read and here.
  if (expectedVersions !== null) q = q.where('version', 'in', expectedVersions);
  const r = await q.executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw versionMismatch(`SKU ${current.sku}`, expectedVersions ?? []);
  // What availability depends on is set by its own conditional statement, so whether it changed is
  // known without a read another transaction could make stale (the row is locked by the UPDATE above).
  const active = input.active === undefined ? undefined : input.active ? (1 as const) : (0 as const);
  const minDays = input.minRemainingShelfLifeDays;
  let availabilityChanged = false;
  if (active !== undefined || minDays !== undefined) {
    const a = await tx
      .updateTable('skus')
      .set({
        ...(active !== undefined ? { active } : {}),
        ...(minDays !== undefined ? { min_remaining_shelf_life_days: minDays } : {}),
      })
      .where('id', '=', current.id)
      .where((eb) =>
        eb.or([
          ...(active !== undefined ? [eb('active', '<>', active)] : []),
          ...(minDays !== undefined ? [eb('min_remaining_shelf_life_days', '<>', minDays)] : []),
        ]),
      )
      .executeTakeFirst();
    availabilityChanged = Number(a.numUpdatedRows) === 1;
  }
  if (input.barcodes !== undefined) {
    await tx.deleteFrom('sku_barcodes').where('sku_id', '=', current.id).execute();
    if (input.barcodes.length > 0) {
      await tx
        .insertInto('sku_barcodes')
        .values(input.barcodes.map((b) => ({ barcode: b, sku_id: current.id, kind: barcodeKind(b) })))
        .execute();
    }
  }
  if (input.packs !== undefined) {
    await tx.deleteFrom('sku_packs').where('sku_id', '=', current.id).execute();
    if (input.packs.length > 0) {
      await tx
        .insertInto('sku_packs')
        .values(
          input.packs.map((p) => ({
            sku_id: current.id,
            name: p.name,
            quantity: p.quantity,
            barcode: p.barcode ?? null,
          })),
        )
        .execute();
    }
  }
  const row = await tx.selectFrom('skus').selectAll().where('id', '=', current.id).executeTakeFirstOrThrow();
  await emit(tx, at, [
    {
      type: 'sku.updated',
      aggregateType: 'sku',
      aggregateId: row.id,
      payload: {
        sku: row.sku,
        version: row.version,
        changed: Object.keys(input).filter((k) => input[k as keyof UpdateSkuInput] !== undefined),
        active: row.active === 1,
        minRemainingShelfLifeDays: row.min_remaining_shelf_life_days,
      },
    },
  ]);
  if (availabilityChanged) await emitStockChangedIn(tx, { skuId: row.id }, at);
  return skuView(tx, row);
}
