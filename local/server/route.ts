import type { ApiHandler } from '../../shared/runtime/middleware.ts';

/** One API Gateway route as the local server mounts it. */
export interface Route {
  method: string;
  /** API Gateway resource path, e.g. `/v1/items/{itemId}`. */
  resource: string;
  /** Whether API Gateway would require the x-api-key (`private: true` in serverless.yml). */
  keyRequired: boolean;
  handler: ApiHandler;
}
