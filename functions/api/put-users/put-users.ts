import { USER_LIMITS } from '../../../shared/domain/user.ts';
import { batchFrom, readJsonBody, upsertResponse } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { type PutUsersDeps, putUsers } from '../../../shared/users/put-users.ts';

/** PUT /v1/users */
export function createPutUsersHandler(deps: PutUsersDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const body = readJsonBody(event, USER_LIMITS.maxBodyBytes);
    const users = batchFrom(body, 'users', USER_LIMITS.maxBatch);
    const result = await putUsers(users, deps);
    return upsertResponse(result, { field: 'users', code: 'invalid_users', noun: 'profile' });
  }, options);
}
