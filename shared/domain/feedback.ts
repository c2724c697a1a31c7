import { z } from 'zod';
import { EVENT_LIMITS, type EventType } from './event.ts';
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

/**
 * Validates feedback received at `now`. Its timestamp becomes the timestamp of the event it lands in the lake as,
 * so it is held to the event's limit on the future here, where the client can still be told which field is wrong.
 */
export function validateFeedback(
  input: unknown,
  now: number = Date.now(),
): { ok: true; feedback: Feedback } | { ok: false; errors: FieldError[] } {
  const parsed = FeedbackSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const { timestamp } = parsed.data;
  if (timestamp !== undefined && Date.parse(timestamp) - now > EVENT_LIMITS.maxFutureSkewMs)
    return { ok: false, errors: [{ path: 'timestamp', message: 'is more than 5 minutes in the future' }] };
  return { ok: true, feedback: parsed.data };
}
