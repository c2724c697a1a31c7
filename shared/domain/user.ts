import { z } from 'zod';
import { idSchema, singleLine } from './text.ts';
import { type FieldError, fieldErrors } from './validation.ts';

/**
 * A shopper's profile (`PUT /v1/users`) and stated preferences (`PUT /v1/users/{userId}/preferences`): the seeds'
 * demographics and questionnaire answers. Every attribute is optional; what is given must be of a known shape, so
 * that a typo fails loudly instead of silently never matching a segment.
 */
export const USER_LIMITS = {
  maxBatch: 500,
  maxAttributes: 20,
  maxPreferenceValues: 50,
  /** As every write route: 4 MiB (EVENT_LIMITS.maxBodyBytes). */
  maxBodyBytes: 4 * 1024 * 1024,
} as const;

const SIGNUP_DATE =
  /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$/;

const label = (max: number) => singleLine(max).min(1, 'must not be empty');

const attributeValue = z.custom<string | number | boolean>(
  (v) =>
    (typeof v === 'string' && label(500).safeParse(v).success) ||
    (typeof v === 'number' && Number.isFinite(v)) ||
    typeof v === 'boolean',
  { error: 'must be a string (1–500 characters), a finite number or a boolean' },
);

export const UserProfileSchema = z.strictObject({
  userId: idSchema,
  /** "18-24", "65+": the shop's own bands, held to one spelling so that segments group them. */
  ageBand: z
    .string()
    .regex(/^(\d{1,3}-\d{1,3}|\d{1,3}\+)$/, 'must be a band such as "25-34" or "65+"')
    .optional(),
  gender: label(50).optional(),
  /** A country name or code, as the shop has it ("United Kingdom", "GB"): shown verbatim in reasons. */
  country: label(100).optional(),
  region: label(100).optional(),
  occupation: label(100).optional(),
  /** A date, or a date-time with a zone; held to the pattern openapi.yaml states (the calendar is not checked). */
  signupDate: z
    .string()
    .regex(SIGNUP_DATE, 'must be an ISO 8601 date (YYYY-MM-DD) or date-time with a time zone')
    .optional(),
  attributes: z
    .record(label(64), attributeValue)
    .refine((a) => Object.keys(a).length <= USER_LIMITS.maxAttributes, {
      message: `must have at most ${USER_LIMITS.maxAttributes} keys`,
    })
    .optional(),
  updatedAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' })
    .optional(),
});

/** A profile as stored: `updatedAt` is always set (by the client or at receipt). */
export type UserProfile = z.output<typeof UserProfileSchema> & { updatedAt: string };

const names = (max: number) =>
  z.array(label(max)).max(USER_LIMITS.maxPreferenceValues, {
    message: `must hold at most ${USER_LIMITS.maxPreferenceValues} values`,
  });

export const PreferencesSchema = z.strictObject({
  likedCategories: names(200).optional(),
  dislikedCategories: names(200).optional(),
  likedBrands: names(200).optional(),
  dislikedBrands: names(200).optional(),
  priceRange: z
    .strictObject({
      min: z.number().finite().nonnegative().optional(),
      max: z.number().finite().nonnegative().optional(),
    })
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
      message: 'must not be greater than priceRange.max',
      path: ['min'],
    })
    .optional(),
  updatedAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' })
    .optional(),
});

/** Stated preferences as stored: the whole document, replaced on every write. */
export type Preferences = z.output<typeof PreferencesSchema> & { updatedAt: string };

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function validateProfile(input: unknown, now: number): Validated<UserProfile> {
  const parsed = UserProfileSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  return {
    ok: true,
    value: { ...parsed.data, updatedAt: parsed.data.updatedAt ?? new Date(now).toISOString() },
  };
}

export function validatePreferences(input: unknown, now: number): Validated<Preferences> {
  const parsed = PreferencesSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  return {
    ok: true,
    value: { ...parsed.data, updatedAt: parsed.data.updatedAt ?? new Date(now).toISOString() },
  };
}

/**
 * What the lake's `raw/users/` zone holds besides profiles: the record of a shopper forgotten at `forgottenAt`.
 * The next retrain drops the shopper's events up to then (and any profile written before it).
 */
export interface Tombstone {
  userId: string;
  forgottenAt: string;
  tombstone: true;
}
