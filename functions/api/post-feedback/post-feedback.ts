import { validateFeedback } from '../../../shared/domain/feedback.ts';
import { HttpError, jsonResponse, readJsonBody } from '../../../shared/runtime/http.ts';
import { recordCounted } from '../../../shared/runtime/metrics.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import {
  type FeedbackDeps,
  FeedbackUnavailableError,
  recordFeedback,
} from '../../../shared/serving/feedback.ts';

const MAX_BODY_BYTES = 16 * 1024;

/** POST /v1/feedback — idempotent: a repeated request answers `duplicate: true` and changes nothing. */
export function createPostFeedbackHandler(deps: () => FeedbackDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const body = readJsonBody(event, MAX_BODY_BYTES);
    const checked = validateFeedback(body);
    if (!checked.ok)
      throw new HttpError(
        400,
        'invalid_feedback',
        `invalid feedback: ${checked.errors.map((e) => e.path).join(', ')}`,
        {
          details: checked.errors,
        },
      );
    try {
      const result = await recordFeedback(checked.feedback, deps());
      if (options?.metrics === true && result.counted !== undefined)
        recordCounted(result.counted.variant, result.counted.delta);
      return jsonResponse(result.duplicate ? 200 : 202, result);
    } catch (error) {
      if (error instanceof FeedbackUnavailableError)
        throw new HttpError(503, 'unavailable', error.message, {
          headers: { 'retry-after': '2' },
          cause: error,
        });
      throw error;
    }
  }, options);
}
