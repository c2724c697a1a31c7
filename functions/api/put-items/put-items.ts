import { EVENT_LIMITS } from '../../../shared/domain/event.ts';
import { ITEM_LIMITS } from '../../../shared/domain/item.ts';
import { type PutItemsDeps, putItems } from '../../../shared/ingest/put-items.ts';
import { batchFrom, HttpError, jsonResponse, readJsonBody } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** PUT /v1/items */
export function createPutItemsHandler(deps: PutItemsDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const body = readJsonBody(event, EVENT_LIMITS.maxBodyBytes);
    const items = batchFrom(body, 'items', ITEM_LIMITS.maxBatch);
    const result = await putItems(items, deps);
    if (result.unavailable.length > 0) {
      return jsonResponse(
        503,
        { upserted: result.upserted, rejected: result.rejected, unavailable: result.unavailable },
        { 'retry-after': '2' },
      );
    }
    if (result.upserted === 0) {
      throw new HttpError(400, 'invalid_items', 'no item in the batch is valid', {
        details: result.rejected.flatMap((r) =>
          r.errors.map((e) => ({ path: `items[${r.index}].${e.path}`, message: e.message })),
        ),
      });
    }
    return jsonResponse(200, { upserted: result.upserted, rejected: result.rejected });
  }, options);
}
