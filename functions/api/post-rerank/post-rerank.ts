import { BASKET_LIMITS, RerankRequestSchema, validateBody } from '../../../shared/domain/basket-requests.ts';
import { HttpError, jsonResponse, pathParam, readJsonBody } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import type { Recommender } from '../../../shared/serving/recommender.ts';

/** POST /v1/users/{userId}/rerank {items} */
export function createPostRerankHandler(
  deps: { recommender: () => Recommender },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async (event) => {
    const userId = pathParam(event, 'userId');
    const checked = validateBody(RerankRequestSchema, readJsonBody(event, BASKET_LIMITS.maxBodyBytes));
    if (!checked.ok)
      throw new HttpError(
        400,
        'invalid_request',
        `invalid rerank request: ${checked.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        { details: checked.errors },
      );
    return jsonResponse(200, await deps.recommender().rerank(userId, checked.value.items));
  }, options);
}
