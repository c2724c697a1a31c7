import { HttpError, jsonResponse, pathParam } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { intParam } from '../../../shared/runtime/serving-params.ts';
import type { Recommender } from '../../../shared/serving/recommender.ts';

/** GET /v1/items/{itemId}/bought-together */
export function createGetBoughtTogetherHandler(
  deps: { recommender: () => Recommender },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async (event) => {
    const itemId = pathParam(event, 'itemId');
    const k = intParam(event, 'k', 1, 100, 10);
    const answer = await deps.recommender().boughtTogether(itemId, k);
    if (answer === undefined) throw new HttpError(404, 'not_found', `no item with itemId "${itemId}"`);
    return jsonResponse(200, { itemId, ...answer });
  }, options);
}
