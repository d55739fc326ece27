/**
 * Row types of every table, as Kysely sees them. snake_case here, camelCase everywhere else:
 * the mapping lives in the repositories (src/db/*.repo.ts). Timestamps are ISO-8601 UTC text;
 * booleans are 0/1 integers; quantities and money are integers (bigint on PostgreSQL).
 */
import type { Generated } from 'kysely';

export type Flag = 0 | 1;

export interface ProductTable {
  id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface SkuTable {
  id: string;
  sku: string;
  sku_key: string;
  product_id: string;
  name: string;
  unit: string;
  cost_minor: number | null;
  price_minor: number | null;
  currency: string;
  tax_class: string | null;
  tracking: 'none' | 'lot' | 'serial';
  shelf_life_days: number | null;
  min_remaining_shelf_life_days: number;
  weight_grams: number | null;
  length_mm: number | null;
  width_mm: number | null;
  height_mm: number | null;
  is_bundle: Flag;
  active: Flag;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface SkuBarcodeTable {
  barcode: string;
  sku_id: string;
  kind: 'gtin' | 'other';
}

export interface SkuPackTable {
  sku_id: string;
  name: string;
  quantity: number;
  barcode: string | null;
}

export interface BundleComponentTable {
  bundle_sku_id: string;
  component_sku_id: string;
  quantity: number;
}

export interface LocationTable {
  id: string;
  code: string;
  code_key: string;
  name: string;
  kind: 'warehouse' | 'store' | 'quarantine' | 'returns' | 'transit';
  address: string | null; // JSON
  lat: number | null;
  lon: number | null;
  sellable: Flag;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface BinTable {
  id: string;
  location_id: string;
  code: string;
  sort_order: number;
}

export interface LotTable {
  id: string;
  sku_id: string;
  code: string;
  expires_on: string | null; // YYYY-MM-DD
  status: 'active' | 'recalled';
  created_at: string;
}

export interface BalanceTable {
  sku_id: string;
  location_id: string;
  lot_id: string; // '' when the SKU is not lot-tracked
  bin_code: string | null;
  on_hand: number;
  allocated: number;
  quarantined: number;
  updated_at: string;
}

export interface SafetyStockTable {
  sku_id: string;
  location_id: string;
  quantity: number;
}

export interface MovementTable {
  id: string;
  created_at: string;
  type: string;
  sku_id: string;
  location_id: string;
  lot_id: string;
  on_hand_delta: number;
  allocated_delta: number;
  quarantined_delta: number;
  reason: string | null;
  reference_type: string | null;
  reference_id: string | null;
  actor: string;
  request_id: string | null;
}

export interface TransferTable {
  id: string;
  sku_id: string;
  from_location_id: string;
  to_location_id: string;
  lot_id: string;
  quantity: number;
  status: 'in_transit' | 'received';
  created_at: string;
  received_at: string | null;
}

export interface CountTable {
  id: string;
  location_id: string;
  status: 'open' | 'approved' | 'cancelled';
  note: string | null;
  created_by: string;
  created_at: string;
  approved_at: string | null;
  scope: string | null; // JSON {skus, bins} (migration 0004)
  updated_at: string | null;
  closed_by: string | null;
  cancelled_at: string | null;
}

export interface CountLineTable {
  count_id: string;
  sku_id: string;
  lot_id: string;
  expected: number;
  counted: number | null;
  counted_at: string | null;
  counted_by: string | null;
  movement_id: string | null; // the count_correction an approval posted
}

/** At most one open count per (location, SKU, lot): the primary key is the guarantee. */
export interface CountClaimTable {
  location_id: string;
  sku_id: string;
  lot_id: string;
  count_id: string;
}

export interface ApiKeyTable {
  id: string;
  name: string;
  role: string;
  prefix: string;
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
}

export interface IdempotencyTable {
  principal: string;
  key: string;
  request_hash: string;
  status_code: number;
  response: string; // JSON
  created_at: string;
}

export interface OutboxTable {
  id: string;
  seq: Generated<number>;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: string; // JSON
  created_at: string;
  published_at: string | null;
}

export interface CustomerTable {
  id: string;
  email: string;
  email_key: string;
  name: string | null;
  created_at: string;
  updated_at: string;
}

export interface CustomerAddressTable {
  id: string;
  customer_id: string;
  address_key: string;
  address: string; // JSON
  created_at: string;
}

export interface OrderTable {
  id: string;
  channel: string;
  external_id: string | null;
  customer_id: string;
  status: string;
  payment_status: string;
  fulfillment_status: string;
  on_shortage: 'reject' | 'backorder';
  currency: string;
  shipping_address: string | null; // JSON
  subtotal_minor: number;
  discount_minor: number;
  shipping_minor: number;
  tax_minor: number;
  total_minor: number;
  /** What the tax was set at, for goods of `tax_basis_goods_minor` (migration 0018); null: now. */
  tax_basis_minor: number | null;
  tax_basis_goods_minor: number | null;
  hold_reason: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  /** SHA-256 of what the capture sold (see `hashOfCapture`), kept when it named an external id. */
  capture_hash: string | null;
}

export interface OrderLineTable {
  id: string;
  order_id: string;
  line_no: number;
  sku_id: string;
  sku: string;
  name: string;
  quantity: number;
  cancelled_quantity: number;
  shipped_quantity: number;
  backordered: number;
  unit_price_minor: number;
  discount_minor: number;
  total_minor: number;
  /** The quantity and discount the discount was set for (both null: quantity and discount_minor). */
  discount_basis_quantity: number | null;
  discount_basis_minor: number | null;
}

export interface AllocationTable {
  id: string;
  owner_type: 'order' | 'reservation';
  owner_id: string;
  order_line_id: string | null;
  sku_id: string;
  location_id: string;
  lot_id: string;
  quantity: number;
  expires_at: string | null;
  created_at: string;
}

export interface ReservationTable {
  id: string;
  sku_id: string;
  location_id: string | null;
  quantity: number;
  status: 'active' | 'released' | 'expired' | 'converted';
  reference: string | null;
  order_id: string | null;
  expires_at: string;
  actor: string;
  created_at: string;
  updated_at: string;
}

export interface OrderEventTable {
  id: string;
  order_id: string;
  at: string;
  type: string;
  message: string;
  actor: string;
  data: string | null; // JSON
}

export interface PaymentTable {
  id: string;
  order_id: string;
  provider: string;
  reference: string | null;
  currency: string;
  amount_minor: number;
  captured_minor: number;
  refunded_minor: number;
  status: string;
  created_at: string;
  updated_at: string;
  /** When a capture, void or refund claimed it while calling the provider; null when none runs. */
  action_claimed_at: string | null;
  /** The token of the action holding that claim. */
  action_claim: string | null;
}

export interface ProviderEventTable {
  provider: string;
  event_id: string;
  type: string;
  received_at: string;
}

export interface UserTable {
  id: string;
  email: string; // canonical: trimmed, NFKC, lower case
  name: string;
  role: string;
  password_hash: string; // scrypt$N$r$p$salt$hash (base64url)
  created_at: string;
  disabled_at: string | null;
}

export interface SessionTable {
  id: string; // SHA-256 (hex) of the cookie token
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

/** How far a once-per-period background job has got (`lot-expiry`: the last day it announced). */
export interface JobMarkTable {
  name: string;
  value: string;
}

export interface DB {
  products: ProductTable;
  skus: SkuTable;
  sku_barcodes: SkuBarcodeTable;
  sku_packs: SkuPackTable;
  bundle_components: BundleComponentTable;
  locations: LocationTable;
  bins: BinTable;
  lots: LotTable;
  balances: BalanceTable;
  safety_stock: SafetyStockTable;
  movements: MovementTable;
  transfers: TransferTable;
  counts: CountTable;
  count_lines: CountLineTable;
  count_claims: CountClaimTable;
  api_keys: ApiKeyTable;
  idempotency_keys: IdempotencyTable;
  outbox: OutboxTable;
  users: UserTable;
  sessions: SessionTable;
  customers: CustomerTable;
  customer_addresses: CustomerAddressTable;
  orders: OrderTable;
  order_lines: OrderLineTable;
  allocations: AllocationTable;
  reservations: ReservationTable;
  order_events: OrderEventTable;
  payments: PaymentTable;
  provider_events: ProviderEventTable;
  job_marks: JobMarkTable;
}
