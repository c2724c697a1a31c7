import { jsonResponse, pathParam } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { personalRequest } from '../../../shared/runtime/serving-params.ts';
import type { Recommender } from '../../../shared/serving/recommender.ts';

/** GET /v1/users/{userId}/recommendations */
export function createGetRecommendationsHandler(
  deps: { recommender: () => Recommender },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async (event) => {
    const userId = pathParam(event, 'userId');
    const request = personalRequest(event);
    return jsonResponse(200, await deps.recommender().forUser({ userId, ...request }));
  }, options);
}
