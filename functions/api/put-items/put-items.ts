import { EVENT_LIMITS } from '../../../shared/domain/event.ts';
import { ITEM_LIMITS } from '../../../shared/domain/item.ts';
import { type PutItemsDeps, putItems } from '../../../shared/ingest/put-items.ts';
import { batchFrom, readJsonBody, upsertResponse } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** PUT /v1/items */
export function createPutItemsHandler(deps: PutItemsDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const body = readJsonBody(event, EVENT_LIMITS.maxBodyBytes);
    const items = batchFrom(body, 'items', ITEM_LIMITS.maxBatch);
    const result = await putItems(items, deps);
    return upsertResponse(result, { field: 'items', code: 'invalid_items', noun: 'item' });
  }, options);
}
