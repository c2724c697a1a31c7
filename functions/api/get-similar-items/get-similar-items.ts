import { HttpError, jsonResponse, pathParam } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { intParam, textParam } from '../../../shared/runtime/serving-params.ts';
import { type Recommender, UnknownItemError } from '../../../shared/serving/recommender.ts';

/** GET /v1/items/{itemId}/similar?k=&userId= (a signed-in shopper's preferences apply) */
export function createGetSimilarItemsHandler(
  deps: { recommender: () => Recommender },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async (event) => {
    const itemId = pathParam(event, 'itemId');
    const k = intParam(event, 'k', 1, 100, 10);
    const userId = textParam(event, 'userId');
    try {
      return jsonResponse(200, await deps.recommender().similar(itemId, k, userId));
    } catch (error) {
      if (error instanceof UnknownItemError)
        throw new HttpError(404, 'not_found', error.message, { cause: error });
      throw error;
    }
  }, options);
}
