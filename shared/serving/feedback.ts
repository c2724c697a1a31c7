import { createHash } from 'node:crypto';
import { FEEDBACK_EVENT_TYPE, type Feedback } from '../domain/feedback.ts';
import { type IngestEventsDeps, ingestEvents } from '../ingest/ingest-events.ts';
import { type CounterDelta, FEEDBACK_LIMITS, type FeedbackStore } from '../ports/feedback-store.ts';
import type { Deployment } from '../ports/publication-store.ts';
import { exposureKey } from './experiments.ts';
import { parseRecommendationId } from './recommendation-id.ts';

export interface FeedbackDeps {
  feedback: FeedbackStore;
  /** The lake (and recent activity) through the one ingestion path. */
  ingest: IngestEventsDeps;
  deployment: { get(): Promise<Deployment | undefined> };
  now?: () => number;
}

export interface FeedbackResult {
  /** The idempotency key: the client's feedbackId, or a hash of the request. */
  feedbackId: string;
  duplicate: boolean;
  /** The lake event written for the next retrain, if the action has an event type. */
  eventId?: string;
  /** The experiment variant whose counters this feedback moved. */
  counted?: { experiment: string; variant: string; delta: CounterDelta };
}

/** The lake could not take the feedback's event now: the client resends (same key, so nothing doubles). */
export class FeedbackUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeedbackUnavailableError';
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A repeated body is the same feedback: the key is a hash of its fields in a fixed order. */
function idempotencyKey(f: Feedback): string {
  if (f.feedbackId !== undefined) return f.feedbackId;
  const fields = [
    f.recommendationId,
    f.userId ?? '',
    f.sessionId ?? '',
    f.itemId,
    f.action,
    f.timestamp ?? '',
  ];
  return `h-${sha256(JSON.stringify(fields)).slice(0, 40)}`;
}

/** A UUID-shaped id (version 8: custom) derived from the key, so a resent feedback lands as the same event. */
function eventIdFor(key: string): string {
  const h = sha256(`feedback-event:${key}`);
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Applies one feedback once per idempotency key: the key is claimed first, and released again if an effect
 * fails, so a repeated request changes nothing while a retried failed one is applied in full. The lake event's
 * id is derived from the key (training dedupes on it). A list counts one exposure, at most one click and one
 * conversion, so that CTR and conversion rate are proportions of exposed lists (what the two-proportion test
 * assumes).
 */
export async function recordFeedback(f: Feedback, deps: FeedbackDeps): Promise<FeedbackResult> {
  const key = idempotencyKey(f);
  const type = FEEDBACK_EVENT_TYPE[f.action];
  const eventId = type !== undefined ? eventIdFor(key) : undefined;
  const withEvent = eventId !== undefined ? { eventId } : {};
  if (!(await deps.feedback.recordOnce(`fb#${key}`)))
    return { feedbackId: key, duplicate: true, ...withEvent };
  try {
    const counted = await apply(f, deps, eventId);
    return { feedbackId: key, duplicate: false, ...withEvent, ...(counted !== undefined ? { counted } : {}) };
  } catch (error) {
    // The effects did not all happen: let the client's retry apply them instead of answering "duplicate".
    await deps.feedback.release(`fb#${key}`).catch(() => {});
    throw error;
  }
}

async function apply(
  f: Feedback,
  deps: FeedbackDeps,
  eventId: string | undefined,
): Promise<FeedbackResult['counted']> {
  const now = (deps.now ?? Date.now)();
  const shopperKey = f.userId !== undefined ? `u:${f.userId}` : `s:${f.sessionId}`;
  if (f.action === 'not_interested')
    await deps.feedback.addExclusion(
      shopperKey,
      f.itemId,
      'not_interested',
      FEEDBACK_LIMITS.notInterestedTtlSeconds,
    );
  if (f.action === 'dismiss')
    await deps.feedback.addExclusion(shopperKey, f.itemId, 'dismiss', FEEDBACK_LIMITS.dismissTtlSeconds);

  const parsed = parseRecommendationId(f.recommendationId);
  const type = FEEDBACK_EVENT_TYPE[f.action];
  if (type !== undefined && eventId !== undefined) {
    const event = {
      eventId,
      type,
      ...(f.userId !== undefined ? { userId: f.userId } : {}),
      ...(f.sessionId !== undefined ? { sessionId: f.sessionId } : {}),
      itemId: f.itemId,
      timestamp: f.timestamp ?? new Date(now).toISOString(),
      recommendationId: f.recommendationId,
      ...(parsed !== undefined ? { context: { variant: parsed.variant } } : {}),
    };
    const result = await ingestEvents([event], deps.ingest);
    if (result.unavailable.length > 0)
      throw new FeedbackUnavailableError('the lake cannot take the feedback event now; resend it');
    if (result.accepted === 0)
      throw new Error(`the feedback event was rejected: ${JSON.stringify(result.rejected)}`);
  }

  const experiment = (await deps.deployment.get())?.experiment;
  if (
    parsed === undefined ||
    experiment?.name !== parsed.experiment ||
    !experiment.variants.some((v) => v.name === parsed.variant)
  )
    return undefined;
  const list = `${parsed.experiment}#${f.recommendationId}`;
  const delta: CounterDelta = {};
  // Served lists were counted when served (recordExposure); this counts a list served before that was so.
  if (await deps.feedback.recordOnce(exposureKey(parsed.experiment, f.recommendationId))) delta.exposures = 1;
  if (f.action === 'click' && (await deps.feedback.recordOnce(`click#${list}`))) delta.clicks = 1;
  if (f.action === 'purchase' && (await deps.feedback.recordOnce(`conversion#${list}`)))
    delta.conversions = 1;
  if (Object.keys(delta).length === 0) return undefined;
  await deps.feedback.incrementCounters(parsed.experiment, parsed.variant, delta);
  return { experiment: parsed.experiment, variant: parsed.variant, delta };
}
