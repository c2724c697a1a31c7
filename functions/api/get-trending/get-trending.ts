import { jsonResponse } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { intParam, invalidParam, query, textParam } from '../../../shared/runtime/serving-params.ts';
import {
  type Recommender,
  TRENDING_WINDOW_NAMES,
  type TrendingWindowName,
} from '../../../shared/serving/recommender.ts';

/** GET /v1/trending?window=1h|24h|7d&category=&k=&userId= (a signed-in shopper's preferences apply) */
export function createGetTrendingHandler(
  deps: { recommender: () => Recommender },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async (event) => {
    const window = query(event, 'window') ?? '24h';
    if (!(TRENDING_WINDOW_NAMES as readonly string[]).includes(window))
      throw invalidParam('window', `must be one of ${TRENDING_WINDOW_NAMES.join(', ')}`);
    const k = intParam(event, 'k', 1, 100, 10);
    const category = textParam(event, 'category');
    const userId = textParam(event, 'userId');
    return jsonResponse(
      200,
      await deps.recommender().trending(window as TrendingWindowName, k, category, userId),
    );
  }, options);
}
