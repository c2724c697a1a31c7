import type { ServingStore } from '../../../shared/ports/serving-store.ts';
import { HttpError, jsonResponse } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** GET /v1/items/{itemId} */
export function createGetItemHandler(deps: { store: ServingStore }, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const itemId = event.pathParameters?.itemId;
    if (itemId === undefined || itemId === '') {
      throw new HttpError(400, 'invalid_request', 'itemId is required', {
        details: [{ path: 'itemId', message: 'required' }],
      });
    }
    const item = await deps.store.getItem(itemId);
    if (item === undefined) throw new HttpError(404, 'not_found', `no item with itemId "${itemId}"`);
    return jsonResponse(200, item);
  }, options);
}
