import { BASKET_LIMITS, CartRequestSchema, validateBody } from '../../../shared/domain/basket-requests.ts';
import { HttpError, jsonResponse, readJsonBody } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import type { Recommender } from '../../../shared/serving/recommender.ts';

/** POST /v1/carts/recommendations {items, userId?, k?} */
export function createPostCartRecommendationsHandler(
  deps: { recommender: () => Recommender },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async (event) => {
    const checked = validateBody(CartRequestSchema, readJsonBody(event, BASKET_LIMITS.maxBodyBytes));
    if (!checked.ok)
      throw new HttpError(
        400,
        'invalid_request',
        `invalid cart: ${checked.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        { details: checked.errors },
      );
    const { items, userId, k } = checked.value;
    const answer = await deps
      .recommender()
      .cart({ items, k: k ?? 10, ...(userId !== undefined ? { userId } : {}) });
    return jsonResponse(200, { cart: items, ...(userId !== undefined ? { userId } : {}), ...answer });
  }, options);
}
