/** Stripe webhook deliveries for tests: bodies signed with the SDK's own test helper, sent as bytes. */
import Stripe from 'stripe';
import { afterAll, beforeAll } from 'vitest';
import type { TestServer } from './server.js';

export const stripe = new Stripe('sk_test_x');

/** `STRIPE_WEBHOOK_SECRET` for the enclosing describe block (the route reads it per request). */
export function useWebhookSecret(secret: string): void {
  const previous = process.env['STRIPE_WEBHOOK_SECRET'];
  beforeAll(() => {
    process.env['STRIPE_WEBHOOK_SECRET'] = secret;
  });
  afterAll(() => {
    if (previous === undefined) delete process.env['STRIPE_WEBHOOK_SECRET'];
    else process.env['STRIPE_WEBHOOK_SECRET'] = previous;
  });
}

/** The `Stripe-Signature` header for `raw` signed with `secret`. */
export const signature = (raw: string, secret: string): string =>
  stripe.webhooks.generateTestHeaderString({ payload: raw, secret });

/** Posts `raw` to the Stripe webhook with `header` as its signature (null: none), without an API key. */
export const deliver = (s: TestServer, raw: string, header: string | null) =>
  s.request('POST', '/api/v1/webhooks/stripe', raw, {
    key: null,
    headers: {
      'content-type': 'application/json',
      ...(header === null ? {} : { 'stripe-signature': header }),
    },
  });
