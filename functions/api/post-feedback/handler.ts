import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createPostFeedbackHandler } from './post-feedback.ts';

// At cold start: a missing setting fails the start, naming it.
const { feedback } = awsServing('feedback');

export const handler = createPostFeedbackHandler(() => feedback, LAMBDA_API_OPTIONS);
