/**
 * What feedback changes at once: per-shopper exclusions (not interested, dismissed), the idempotency keys that
 * make a repeated feedback request change nothing, and the experiment counters the readout is computed from.
 * AWS: DynamoDB (resources/feedback-tables.yml). Local: node:sqlite in `<data-dir>/serving.db`, own tables.
 * Both pass tests/contract/feedback-store.contract.ts.
 */

export type ExclusionReason = 'not_interested' | 'dismiss';

export interface Exclusion {
  itemId: string;
  reason: ExclusionReason;
  /** ISO time after which the exclusion no longer applies. */
  expiresAt: string;
}

export interface CounterDelta {
  exposures?: number;
  clicks?: number;
  conversions?: number;
}

export interface VariantCounters {
  variant: string;
  exposures: number;
  clicks: number;
  conversions: number;
}

export const FEEDBACK_LIMITS = {
  /** A not-interested item stays hidden this long; a dismissed one only for a week. */
  notInterestedTtlSeconds: 180 * 24 * 3600,
  dismissTtlSeconds: 7 * 24 * 3600,
  /** Idempotency keys are kept long enough to absorb any client retry (and TTL'd away after). */
  idempotencyTtlSeconds: 7 * 24 * 3600,
  /** Newest exclusions read per shopper. */
  maxExclusions: 500,
} as const;

export interface FeedbackStore {
  /**
   * Conditional insert of `key`: true the first time (the caller applies the effect), false when the key was
   * seen and has not expired. Atomic: of two concurrent calls with one key exactly one gets true.
   */
  recordOnce(key: string, ttlSeconds?: number): Promise<boolean>;
  /** Forgets `key` (an effect it guarded failed: the client's retry must be applied, not ignored). */
  release(key: string): Promise<void>;
  /** Upsert (a later call replaces reason and expiry). */
  addExclusion(
    shopperKey: string,
    itemId: string,
    reason: ExclusionReason,
    ttlSeconds: number,
  ): Promise<void>;
  /** Unexpired exclusions of one shopper. */
  exclusions(shopperKey: string): Promise<Exclusion[]>;
  /** Atomic increments (DynamoDB UpdateItem ADD); creates the variant's row on first use. */
  incrementCounters(experiment: string, variant: string, delta: CounterDelta): Promise<void>;
  /** Every variant with counters in `experiment`, by name. */
  counters(experiment: string): Promise<VariantCounters[]>;
  /** Deletes every exclusion of the shopper, expired or not (the right to be forgotten, shared/users/forget.ts). */
  forgetShopper(shopperKey: string): Promise<void>;
  close(): Promise<void>;
}
