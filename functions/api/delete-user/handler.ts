import { awsForgetDeps } from '../../../shared/runtime/aws-users.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createDeleteUserHandler } from './delete-user.ts';

export const handler = createDeleteUserHandler(awsForgetDeps(), LAMBDA_API_OPTIONS);
