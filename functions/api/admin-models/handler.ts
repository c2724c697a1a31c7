import { DEPLOYMENT } from '../../../shared/runtime/aws.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { pipelineAws } from '../../pipeline/aws.ts';
import { createAdminModelsHandler } from './admin-models.ts';

// At cold start: a missing setting fails the start, naming it.
const publications = pipelineAws.publications(DEPLOYMENT);
const models = pipelineAws.models();

export const handler = createAdminModelsHandler(
  {
    registry: pipelineAws.registry(),
    deployment: () => publications.getDeployment(),
    servable: () => models.list(),
  },
  LAMBDA_API_OPTIONS,
);
