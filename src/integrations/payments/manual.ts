import { randomUUID } from 'node:crypto';
import type { PaymentProvider, ProviderResult } from './provider.js';

/**
 * Invoice, cash on delivery, POS: money moves outside Kibble, so every call simply records the
 * operator's statement of what happened.
 */
export const manualProvider: PaymentProvider = {
  name: 'manual',
  authorize: async ({ amountMinor }) => ({
    reference: `man_${randomUUID()}`,
    status: 'authorized',
    amountMinor,
  }),
  capture: async (reference, amountMinor): Promise<ProviderResult> => ({
    reference,
    status: 'paid',
    amountMinor,
  }),
  refund: async (reference, amountMinor): Promise<ProviderResult> => ({
    reference,
    status: 'refunded',
    amountMinor,
  }),
  void: async (reference): Promise<ProviderResult> => ({ reference, status: 'voided', amountMinor: 0 }),
};
