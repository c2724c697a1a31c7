import { USER_LIMITS } from '../../../shared/domain/user.ts';
import { batchFrom, HttpError, jsonResponse, readJsonBody } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { type PutUsersDeps, putUsers } from '../../../shared/users/put-users.ts';

/** PUT /v1/users */
export function createPutUsersHandler(deps: PutUsersDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const body = readJsonBody(event, USER_LIMITS.maxBodyBytes);
    const users = batchFrom(body, 'users', USER_LIMITS.maxBatch);
    const result = await putUsers(users, deps);
    if (result.unavailable.length > 0) {
      return jsonResponse(
        503,
        { upserted: result.upserted, rejected: result.rejected, unavailable: result.unavailable },
        { 'retry-after': '2' },
      );
    }
    if (result.upserted === 0) {
      throw new HttpError(400, 'invalid_users', 'no profile in the batch is valid', {
        details: result.rejected.flatMap((r) =>
          r.errors.map((e) => ({ path: `users[${r.index}].${e.path}`, message: e.message })),
        ),
      });
    }
    return jsonResponse(200, { upserted: result.upserted, rejected: result.rejected });
  }, options);
}
