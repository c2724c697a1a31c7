import { z } from 'zod';
import type { EventType } from './event.ts';
import { idSchema } from './text.ts';
import { type FieldError, fieldErrors } from './validation.ts';

export const FEEDBACK_ACTIONS = [
  'impression',
  'click',
  'add_to_cart',
  'purchase',
  'dismiss',
  'not_interested',
] as const;
export type FeedbackAction = (typeof FEEDBACK_ACTIONS)[number];

/**
 * The event type each action lands in the lake as, for the next retrain. Impressions and dismissals have no event
 * type (the event schema and both trainers' weights know none): they change counters and exclusions only.
 */
export const FEEDBACK_EVENT_TYPE: Readonly<Record<FeedbackAction, EventType | undefined>> = {
  impression: undefined,
  click: 'click',
  add_to_cart: 'add_to_cart',
  purchase: 'purchase',
  dismiss: undefined,
  not_interested: 'not_interested',
};

const id = idSchema;

export const FeedbackSchema = z
  .strictObject({
    feedbackId: id.optional(),
    recommendationId: id,
    userId: id.optional(),
    sessionId: id.optional(),
    itemId: id,
    action: z.enum(FEEDBACK_ACTIONS, { error: `must be one of ${FEEDBACK_ACTIONS.join(', ')}` }),
    timestamp: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' })
      .optional(),
  })
  .superRefine((f, ctx) => {
    if (f.userId === undefined && f.sessionId === undefined)
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or sessionId is required' });
  });

export type Feedback = z.infer<typeof FeedbackSchema>;

export function validateFeedback(
  input: unknown,
): { ok: true; feedback: Feedback } | { ok: false; errors: FieldError[] } {
  const parsed = FeedbackSchema.safeParse(input);
  return parsed.success
    ? { ok: true, feedback: parsed.data }
    : { ok: false, errors: fieldErrors(parsed.error) };
}
