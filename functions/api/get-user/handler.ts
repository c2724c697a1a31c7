import { awsUserStore } from '../../../shared/runtime/aws-users.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createGetUserHandler } from './get-user.ts';

export const handler = createGetUserHandler({ users: awsUserStore() }, LAMBDA_API_OPTIONS);
