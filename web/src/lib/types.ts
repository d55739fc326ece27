/**
 * The API's shapes, derived from the very TypeBox schemas that validate and serialise them on the
 * server (src/http/schemas), so the admin cannot drift from the API. Type-only imports: nothing of
 * the server is bundled.
 */
import type { Static } from 'typebox';
import type { CountLineResponse, CountResponse } from '../../../src/http/schemas/count.schema.js';
import type { LocationResponse } from '../../../src/http/schemas/location.schema.js';
import type {
  OrderResponse,
  OrderSummary,
  ReservationResponse,
} from '../../../src/http/schemas/order.schema.js';
import type { DashboardResponse, StockRowResponse } from '../../../src/http/schemas/report.schema.js';
import type {
  SessionResponse,
  SessionStatusResponse,
  UserResponse,
} from '../../../src/http/schemas/session.schema.js';
import type { SkuResponse } from '../../../src/http/schemas/sku.schema.js';
import type { MovementResponse, StockResponse } from '../../../src/http/schemas/stock.schema.js';
import type { TransferResponse } from '../../../src/http/schemas/transfer.schema.js';

export type Page<T> = { items: T[]; nextCursor: string | null };

export type Session = Static<typeof SessionResponse>;
export type SessionStatus = Static<typeof SessionStatusResponse>;
export type User = Static<typeof UserResponse>;
export type Sku = Static<typeof SkuResponse>;
export type Location = Static<typeof LocationResponse>;
export type Stock = Static<typeof StockResponse>;
export type LocationStock = Stock['locations'][number];
export type Movement = Static<typeof MovementResponse>;
export type StockRow = Static<typeof StockRowResponse>;
export type Dashboard = Static<typeof DashboardResponse>;
export type Order = Static<typeof OrderResponse>;
export type OrderLine = Order['lines'][number];
export type OrderSummaryRow = Static<typeof OrderSummary>;
export type Reservation = Static<typeof ReservationResponse>;
export type Count = Static<typeof CountResponse>;
export type CountLine = Static<typeof CountLineResponse>;
export type Transfer = Static<typeof TransferResponse>;

export type ApiKey = {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
};
export type CreatedApiKey = { id: string; key: string; role: string; name: string };

/** One message of `GET /api/v1/events/stream`. */
export type LiveEvent = {
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  createdAt: string;
};
