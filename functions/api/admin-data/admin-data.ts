import { HttpError, jsonResponse } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** What the console's Data tab shows. */
export interface DataStats {
  /** Counted by the event's own timestamp (UTC day), per event type. */
  eventsPerDay: { day: string; counts: Record<string, number> }[];
  eventsPerType: Record<string, number>;
  events: number;
  shoppers: number;
  items: number;
  catalogSize: number;
  lake: { objects: number; bytes: number };
  /** When the counts were taken (they are cached until the lake changes). */
  asOf: string;
}

/** Data statistics, or undefined where this runtime cannot produce them (the handler answers 501 with why). */
export interface DataStatsPort {
  stats(): Promise<DataStats>;
  /** Why stats() is unavailable here, when it is. */
  unavailable?: string;
}

/** GET /v1/admin/data — events per day and type, active shoppers and items, catalog and lake size. */
export function createAdminDataHandler(port: DataStatsPort, options?: ApiMiddlewareOptions) {
  return apiHandler(async () => {
    if (port.unavailable !== undefined) throw new HttpError(501, 'not_implemented', port.unavailable);
    return jsonResponse(200, await port.stats());
  }, options);
}
