import { manualProvider } from './manual.js';
import type { PaymentProvider } from './provider.js';
import { stripeProvider } from './stripe.js';

/** The providers this process can call: manual always, Stripe when STRIPE_SECRET_KEY is set. */
export function paymentProviders(env: NodeJS.ProcessEnv = process.env): ReadonlyMap<string, PaymentProvider> {
  const providers = new Map<string, PaymentProvider>([['manual', manualProvider]]);
  const key = env['STRIPE_SECRET_KEY'];
  if (key) providers.set('stripe', stripeProvider(key));
  return providers;
}
