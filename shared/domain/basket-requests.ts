import { z } from 'zod';
import { idSchema } from './text.ts';
import { type FieldError, fieldErrors } from './validation.ts';

/** The bodies of the basket routes: POST /v1/carts/recommendations and POST /v1/users/{userId}/rerank. */
export const BASKET_LIMITS = {
  maxCartItems: 100,
  maxRerankItems: 500,
  maxK: 100,
  /** 500 ids of 128 characters, escaped at worst, fit comfortably. */
  maxBodyBytes: 256 * 1024,
} as const;

export const CartRequestSchema = z.strictObject({
  items: z
    .array(idSchema, { error: 'must be an array of item ids' })
    .min(1, 'must not be empty: a cart needs at least one item')
    .max(BASKET_LIMITS.maxCartItems, `must hold at most ${BASKET_LIMITS.maxCartItems} items`),
  userId: idSchema.optional(),
  k: z
    .int({ error: 'must be an integer' })
    .min(1, 'must be at least 1')
    .max(BASKET_LIMITS.maxK, `must be at most ${BASKET_LIMITS.maxK}`)
    .optional(),
});

export const RerankRequestSchema = z
  .strictObject({
    items: z
      .array(idSchema, { error: 'must be an array of item ids' })
      .min(1, 'must not be empty: give the items to order')
      .max(BASKET_LIMITS.maxRerankItems, `must hold at most ${BASKET_LIMITS.maxRerankItems} items`),
  })
  .superRefine((r, ctx) => {
    // The same item twice has no place of its own in an order.
    const seen = new Map<string, number>();
    r.items.forEach((id, i) => {
      const first = seen.get(id);
      if (first !== undefined)
        ctx.addIssue({ code: 'custom', path: ['items', i], message: `repeats items[${first}] ("${id}")` });
      else seen.set(id, i);
    });
  });

export function validateBody<T>(
  schema: z.ZodType<T>,
  input: unknown,
): { ok: true; value: T } | { ok: false; errors: FieldError[] } {
  const parsed = schema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: fieldErrors(parsed.error) };
}
