import { jsonResponse } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** GET /health — no key, no dependencies: says the process is up and which runtime it is. */
export function createHealthHandler(
  info: { runtime: 'aws' | 'local'; version: string },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async () => jsonResponse(200, { status: 'ok', ...info }), options);
}
