import type { ServingStore } from '../../../shared/ports/serving-store.ts';
import { HttpError, jsonResponse, pathParam } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** GET /v1/items/{itemId} */
export function createGetItemHandler(deps: { store: ServingStore }, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const itemId = pathParam(event, 'itemId');
    const item = await deps.store.getItem(itemId);
    if (item === undefined) throw new HttpError(404, 'not_found', `no item with itemId "${itemId}"`);
    return jsonResponse(200, item);
  }, options);
}
