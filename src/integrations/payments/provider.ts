/**
 * The payment provider seam. Payment state never blocks stock correctness: providers are called
 * outside stock transactions, and their answers (or webhooks) only move payment status.
 */
export type ProviderResult = {
  readonly reference: string;
  /** `pending`: the provider has not decided yet (a PaymentIntent awaiting the customer, a refund in flight). */
  readonly status: 'pending' | 'authorized' | 'paid' | 'refunded' | 'voided' | 'failed';
  readonly amountMinor: number;
};

export interface PaymentProvider {
  readonly name: string;
  /**
   * Its webhooks report a payment's running totals (Stripe's `amount_refunded`), which Kibble may
   * record before it records its own call's result: that result then must not count twice.
   */
  readonly reportsRunningTotals?: boolean;
  authorize(input: { amountMinor: number; currency: string; orderId: string }): Promise<ProviderResult>;
  capture(reference: string, amountMinor: number, options?: CallOptions): Promise<ProviderResult>;
  refund(reference: string, amountMinor: number, options?: CallOptions): Promise<ProviderResult>;
  void(reference: string, options?: CallOptions): Promise<ProviderResult>;
}

export type CallOptions = {
  /**
   * The same for every attempt of one action (a client's retry with its Idempotency-Key, a retry
   * after a crash between the provider's answer and Kibble's record of it): a provider that
   * supports it performs the action once and answers the retries with the first result.
   */
  readonly idempotencyKey?: string | undefined;
};
