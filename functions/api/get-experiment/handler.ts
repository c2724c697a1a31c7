import { awsExperimentDeps } from '../../../shared/runtime/aws-serving.ts';
import { createGetExperimentHandler } from './get-experiment.ts';

export const handler = createGetExperimentHandler(awsExperimentDeps, { metrics: true });
