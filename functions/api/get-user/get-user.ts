import type { UserStore } from '../../../shared/ports/user-store.ts';
import { HttpError, jsonResponse, pathParam } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** GET /v1/users/{userId}: the profile and the stated preferences (null when not given). */
export function createGetUserHandler(deps: { users: UserStore }, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const userId = pathParam(event, 'userId');
    const { profile, preferences } = await deps.users.getShopper(userId);
    if (profile === undefined && preferences === undefined)
      throw new HttpError(404, 'not_found', `no profile or preferences for userId "${userId}"`);
    return jsonResponse(200, { userId, profile: profile ?? null, preferences: preferences ?? null });
  }, options);
}
