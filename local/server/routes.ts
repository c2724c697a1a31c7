import { createGetItemHandler } from '../../functions/api/get-item/get-item.ts';
import { createHealthHandler } from '../../functions/api/health/health.ts';
import { createIngestEventsHandler } from '../../functions/api/ingest-events/ingest-events.ts';
import { createPutItemsHandler } from '../../functions/api/put-items/put-items.ts';
import type { ApiHandler } from '../../shared/runtime/middleware.ts';
import type { LocalRuntime } from '../runtime.ts';

export interface Route {
  method: string;
  /** API Gateway resource path, e.g. `/v1/items/{itemId}`. */
  resource: string;
  /** Whether API Gateway would require the x-api-key (`private: true` in serverless.yml). */
  keyRequired: boolean;
  handler: ApiHandler;
}

/** The same handler factories the Lambda entry points use, bound to the embedded adapters. */
export function localRoutes(runtime: LocalRuntime, version: string): Route[] {
  const { eventSink, itemSink, store } = runtime;
  return [
    {
      method: 'GET',
      resource: '/health',
      keyRequired: false,
      handler: createHealthHandler({ runtime: 'local', version }),
    },
    {
      method: 'POST',
      resource: '/v1/events',
      keyRequired: true,
      handler: createIngestEventsHandler({ eventSink, store }),
    },
    {
      method: 'PUT',
      resource: '/v1/items',
      keyRequired: true,
      handler: createPutItemsHandler({ itemSink, store }),
    },
    {
      method: 'GET',
      resource: '/v1/items/{itemId}',
      keyRequired: true,
      handler: createGetItemHandler({ store }),
    },
  ];
}
