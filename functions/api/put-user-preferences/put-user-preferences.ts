import { USER_LIMITS, validatePreferences } from '../../../shared/domain/user.ts';
import type { UserStore } from '../../../shared/ports/user-store.ts';
import { HttpError, jsonResponse, pathParam, readJsonBody } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/**
 * PUT /v1/users/{userId}/preferences: replaces the shopper's stated preferences. A shopper the shop has not
 * told us about is created by this first write (201), as a profile-less shopper with preferences.
 */
export function createPutUserPreferencesHandler(
  deps: { users: UserStore; now?: () => number },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async (event) => {
    const userId = pathParam(event, 'userId');
    const body = readJsonBody(event, USER_LIMITS.maxBodyBytes);
    const checked = validatePreferences(body, (deps.now ?? Date.now)());
    if (!checked.ok)
      throw new HttpError(400, 'invalid_preferences', 'the preferences are not valid', {
        details: checked.errors,
      });
    const { created } = await deps.users.putPreferences(userId, checked.value);
    return jsonResponse(created ? 201 : 200, { userId, created, preferences: checked.value });
  }, options);
}
