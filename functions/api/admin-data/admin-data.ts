import type { DataStatsPort } from '../../../shared/live/data-stats.ts';
import { HttpError, jsonResponse } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** GET /v1/admin/data — events per day and type, active shoppers and items, catalog and lake size. */
export function createAdminDataHandler(port: DataStatsPort, options?: ApiMiddlewareOptions) {
  return apiHandler(async () => {
    if (port.unavailable !== undefined) throw new HttpError(501, 'not_implemented', port.unavailable);
    return jsonResponse(200, await port.stats());
  }, options);
}
