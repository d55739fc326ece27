/**
 * Inbound provider webhooks. Authenticated by the provider's signature over the raw body, not by
 * an API key; so the body is kept as bytes here (re-serialised JSON would not verify).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { applyStripeEvent, stripeEventOf } from '../../app/payments/apply-stripe-event.js';
import { isThinEvent, isVerificationFailure, verifyStripeEvent } from '../../integrations/payments/stripe.js';
import { nowIso } from '../../domain/clock.js';
import { problem, sendProblem } from '../plugins/problem.js';

export default async function webhookRoutes(app: FastifyInstance): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.post(
    '/webhooks/stripe',
    {
      schema: {
        tags: ['webhooks'],
        summary:
          'Stripe events (payment_intent.succeeded, .amount_capturable_updated, .payment_failed, .canceled; charge.refunded), verified with Stripe-Signature',
        description:
          'The body is a Stripe event exactly as Stripe sends it (any content type; verified over its raw bytes with `STRIPE_WEBHOOK_SECRET`, so it is not described as a schema here). Each event id applies once: `outcome` is `applied`, `duplicate` (seen before), `ignored` (a PaymentIntent Kibble does not know, or an event type it does not use: acknowledged so Stripe stops retrying) or `mismatch` (a payment of the order in another currency: flagged on the order; the state it reports applies, its amounts do not). 400 INVALID_SIGNATURE for a missing, wrong or stale signature; 400 VALIDATION_FAILED for a signed body that is not a Stripe event; 503 NOT_CONFIGURED without a webhook secret.',
        response: {
          200: Type.Object({
            received: Type.Boolean(),
            outcome: Type.Union([
              Type.Literal('applied'),
              Type.Literal('duplicate'),
              Type.Literal('ignored'),
              Type.Literal('mismatch'),
            ]),
          }),
          400: Type.Ref('Problem'),
          413: Type.Ref('Problem'),
          503: Type.Ref('Problem'),
        },
      },
      config: { public: true },
    },
    async (req, reply) => {
      const secret = process.env['STRIPE_WEBHOOK_SECRET'];
      if (!secret)
        return sendProblem(
          reply,
          problem(
            req,
            503,
            'NOT_CONFIGURED',
            'Stripe webhooks are not configured: set STRIPE_WEBHOOK_SECRET.',
          ),
        );
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let event;
      try {
        const header = req.headers['stripe-signature'];
        event = await verifyStripeEvent(raw, Array.isArray(header) ? header[0] : header, secret);
      } catch (error) {
        if (isThinEvent(error)) return reply.code(200).send({ received: true, outcome: 'ignored' });
        if (!isVerificationFailure(error)) throw error;
        // The SDK parses the body only once the signature has verified: a SyntaxError means a
        // genuine signature over a body that is not JSON.
        if (error instanceof SyntaxError)
          return sendProblem(
            reply,
            problem(req, 400, 'VALIDATION_FAILED', `The signed body is not JSON: ${error.message}`, [
              { field: '(body)', message: 'must be a JSON Stripe event' },
            ]),
          );
        const header = req.headers['stripe-signature'];
        const reason = header === undefined ? 'the header is missing' : (error as Error).message;
        return sendProblem(
          reply,
          problem(req, 400, 'INVALID_SIGNATURE', `The Stripe-Signature does not verify: ${reason}`, [
            { field: 'Stripe-Signature', message: header === undefined ? 'is required' : 'does not verify' },
          ]),
        );
      }
      const ctx = { actor: 'webhook:stripe', requestId: req.id, at: nowIso() };
      const verified = stripeEventOf(event);
      const outcome = await app.database.transact((tx) => applyStripeEvent(tx, verified, ctx));
      return reply.code(200).send({ received: true, outcome });
    },
  );
}
