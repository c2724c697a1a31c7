import { jsonResponse, pathParam } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { personalRequest } from '../../../shared/runtime/serving-params.ts';
import type { Recommender } from '../../../shared/serving/recommender.ts';

/** GET /v1/sessions/{sessionId}/recommendations — anonymous shoppers, item-to-item from the session's items. */
export function createGetSessionRecommendationsHandler(
  deps: { recommender: () => Recommender },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async (event) => {
    const sessionId = pathParam(event, 'sessionId');
    const request = personalRequest(event);
    return jsonResponse(200, await deps.recommender().forSession({ sessionId, ...request }));
  }, options);
}
