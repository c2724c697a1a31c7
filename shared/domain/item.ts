import { z } from 'zod';
import { idSchema, multiLine, singleLine } from './text.ts';
import { type FieldError, fieldErrors, utf8Length } from './validation.ts';

export const ITEM_LIMITS = {
  maxItemBytes: 64 * 1024,
  maxBatch: 500,
  maxCategoryDepth: 10,
  maxAttributes: 50,
} as const;

export const ItemSchema = z.strictObject({
  itemId: idSchema,
  title: singleLine(500).min(1, 'must not be empty'),
  description: multiLine(10_000).optional(),
  /** The category path from the root, e.g. ["Home", "Kitchen", "Mugs"]. */
  categories: z
    .array(singleLine(100).min(1, 'must not be empty'))
    .max(ITEM_LIMITS.maxCategoryDepth)
    .optional(),
  brand: singleLine(200).optional(),
  price: z.number().finite().nonnegative().optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
    .optional(),
  imageUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2048)
    .optional(),
  attributes: z
    .record(
      singleLine(64).min(1, 'must not be empty'),
      z.union([multiLine(500), z.number().finite(), z.boolean()]),
    )
    .refine((a) => Object.keys(a).length <= ITEM_LIMITS.maxAttributes, {
      message: `must have at most ${ITEM_LIMITS.maxAttributes} keys`,
    })
    .optional(),
  inStock: z.boolean().default(true),
  updatedAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' })
    .optional(),
});

/** A catalog item as stored: `updatedAt` is always set (by the client or at receipt). */
export type Item = z.output<typeof ItemSchema> & { updatedAt: string };

export type ItemValidation =
  | { ok: true; item: Item }
  | { ok: false; itemId: string | undefined; errors: FieldError[] };

export function validateItem(input: unknown, now: number): ItemValidation {
  const parsed = ItemSchema.safeParse(input);
  const itemId =
    typeof input === 'object' && input !== null && typeof (input as { itemId?: unknown }).itemId === 'string'
      ? (input as { itemId: string }).itemId
      : undefined;
  if (!parsed.success) return { ok: false, itemId, errors: fieldErrors(parsed.error) };
  const item: Item = { ...parsed.data, updatedAt: parsed.data.updatedAt ?? new Date(now).toISOString() };
  const bytes = utf8Length(JSON.stringify(item));
  if (bytes > ITEM_LIMITS.maxItemBytes) {
    return {
      ok: false,
      itemId,
      errors: [
        { path: '(root)', message: `is ${bytes} bytes; an item may be at most ${ITEM_LIMITS.maxItemBytes}` },
      ],
    };
  }
  return { ok: true, item };
}
