import { EVENT_LIMITS } from '../../../shared/domain/event.ts';
import { type IngestEventsDeps, ingestEvents } from '../../../shared/ingest/ingest-events.ts';
import { batchFrom, HttpError, jsonResponse, readJsonBody } from '../../../shared/runtime/http.ts';
import { recordIngest } from '../../../shared/runtime/metrics.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** Seconds a client should wait before resending events the lake could not take. */
const RETRY_AFTER_SECONDS = 2;

/** POST /v1/events */
export function createIngestEventsHandler(deps: IngestEventsDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const body = readJsonBody(event, EVENT_LIMITS.maxBodyBytes);
    const events = batchFrom(body, 'events', EVENT_LIMITS.maxBatch);
    const result = await ingestEvents(events, deps);
    if (options?.metrics === true) recordIngest(result);
    if (result.unavailable.length > 0) {
      // Only what the lake took is reported as accepted; the rest is named so the client resends exactly that.
      return jsonResponse(
        503,
        {
          accepted: result.accepted,
          rejected: result.rejected,
          unavailable: result.unavailable,
          error: {
            code: 'unavailable',
            message: 'some events could not be stored now; resend the unavailable ones',
          },
        },
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
    }
    if (result.accepted === 0) {
      throw new HttpError(400, 'invalid_events', 'no event in the batch is valid', {
        details: result.rejected.flatMap((r) =>
          r.errors.map((e) => ({ path: `events[${r.index}].${e.path}`, message: e.message })),
        ),
      });
    }
    return jsonResponse(202, { accepted: result.accepted, rejected: result.rejected });
  }, options);
}
