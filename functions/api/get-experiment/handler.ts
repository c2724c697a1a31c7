import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { createGetExperimentHandler } from './get-experiment.ts';

// At cold start: a missing setting fails the start, naming it.
const { experiments } = awsServing('experiments');

export const handler = createGetExperimentHandler(() => experiments, { metrics: true });
