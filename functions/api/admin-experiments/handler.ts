import { DEPLOYMENT } from '../../../shared/runtime/aws.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { pipelineAws } from '../../pipeline/aws.ts';
import { createExperimentActionHandler, createStartExperimentHandler } from './admin-experiments.ts';

const models = pipelineAws.models();
const deps = { publications: pipelineAws.publications(DEPLOYMENT), servable: () => models.list() };

export const startHandler = createStartExperimentHandler(deps, LAMBDA_API_OPTIONS);
export const actionHandler = createExperimentActionHandler(deps, LAMBDA_API_OPTIONS);
