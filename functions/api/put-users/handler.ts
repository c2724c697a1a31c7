import { awsUserSink, awsUserStore } from '../../../shared/runtime/aws-users.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createPutUsersHandler } from './put-users.ts';

export const handler = createPutUsersHandler(
  { userSink: awsUserSink(), users: awsUserStore() },
  LAMBDA_API_OPTIONS,
);
