import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation.js';
import * as m0002 from './0002-orders.js';
import * as m0003 from './0003-users.js';
import * as m0004 from './0004-counts.js';
import * as m0005 from './0005-hot-path-indexes.js';
import * as m0006 from './0006-idempotency-retention.js';
import * as m0007 from './0007-order-capture-hash.js';
import * as m0008 from './0008-payment-action-claims.js';
import * as m0009 from './0009-payment-action-claim-token.js';
import * as m0010 from './0010-channel-names.js';
import * as m0011 from './0011-outbox-without-autoincrement.js';
import * as m0012 from './0012-line-discount-basis.js';
import * as m0013 from './0013-bundles-by-component.js';
import * as m0014 from './0014-order-short-number.js';
import * as m0015 from './0015-job-marks.js';
import * as m0016 from './0016-customer-email-keys.js';
import * as m0017 from './0017-free-orders-paid.js';
import * as m0018 from './0018-order-tax-basis.js';

/** Every migration in order. Append only: a landed migration is never edited. */
export const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-orders': m0002,
  '0003-users': m0003,
  '0004-counts': m0004,
  '0005-hot-path-indexes': m0005,
  '0006-idempotency-retention': m0006,
  '0007-order-capture-hash': m0007,
  '0008-payment-action-claims': m0008,
  '0009-payment-action-claim-token': m0009,
  '0010-channel-names': m0010,
  '0011-outbox-without-autoincrement': m0011,
  '0012-line-discount-basis': m0012,
  '0013-bundles-by-component': m0013,
  '0014-order-short-number': m0014,
  '0015-job-marks': m0015,
  '0016-customer-email-keys': m0016,
  '0017-free-orders-paid': m0017,
  '0018-order-tax-basis': m0018,
};
