import { awsUserStore } from '../../../shared/runtime/aws-users.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createPutUserPreferencesHandler } from './put-user-preferences.ts';

export const handler = createPutUserPreferencesHandler({ users: awsUserStore() }, LAMBDA_API_OPTIONS);
