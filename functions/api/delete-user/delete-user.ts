import { HttpError, jsonResponse, pathParam } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { type ForgetDeps, forgetShopper, TombstoneUnavailableError } from '../../../shared/users/forget.ts';

/** DELETE /v1/users/{userId}: the right to be forgotten (shared/users/forget.ts). */
export function createDeleteUserHandler(deps: ForgetDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const userId = pathParam(event, 'userId');
    try {
      return jsonResponse(200, await forgetShopper(userId, deps));
    } catch (error) {
      if (error instanceof TombstoneUnavailableError)
        throw new HttpError(503, 'unavailable', `${error.message}; nothing was erased, try again`, {
          headers: { 'retry-after': '2' },
          cause: error,
        });
      throw error;
    }
  }, options);
}
