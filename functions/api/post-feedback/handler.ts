import { awsFeedbackDeps } from '../../../shared/runtime/aws-serving.ts';
import { createPostFeedbackHandler } from './post-feedback.ts';

export const handler = createPostFeedbackHandler(awsFeedbackDeps, { metrics: true });
