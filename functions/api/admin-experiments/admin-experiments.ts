import { z } from 'zod';
import {
  type Deployment,
  DeploymentConflictError,
  type PublicationStore,
} from '../../../shared/ports/publication-store.ts';
import { updateDeployment } from '../../../shared/registry/deployment.ts';
import { HttpError, jsonResponse, pathParam, readJsonBody } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import {
  ExperimentStateError,
  promoteExperiment,
  startExperiment,
  stopExperiment,
} from '../../../shared/serving/experiments.ts';
import { NAME_PATTERN } from '../../../shared/serving/recommendation-id.ts';

export interface AdminExperimentsDeps {
  /** The deployment record's store: every change goes through updateDeployment, as `recsys experiment` does. */
  publications: Pick<PublicationStore, 'getDeployment' | 'putDeployment'>;
  /** The versions whose artifact is complete: a challenger must be one of them. */
  servable: () => Promise<readonly string[]>;
}

const startSchema = z
  .object({
    name: z.string().regex(NAME_PATTERN, `must match ${NAME_PATTERN}`),
    challenger: z.string().min(1).max(128),
    weight: z.number().gt(0).lt(1).default(0.5),
  })
  .strict();

async function change(
  deps: AdminExperimentsDeps,
  next: (d: Deployment | undefined) => Deployment,
): Promise<Deployment> {
  try {
    return (await updateDeployment(deps.publications as PublicationStore, next)) as Deployment;
  } catch (error) {
    if (error instanceof ExperimentStateError) throw new HttpError(409, 'conflict', error.message);
    if (error instanceof DeploymentConflictError)
      throw new HttpError(409, 'conflict', `${error.message}: it kept changing meanwhile; try again`);
    throw error;
  }
}

/** POST /v1/admin/experiments — start an experiment: the champion against a challenger at a weight. */
export function createStartExperimentHandler(deps: AdminExperimentsDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const parsed = startSchema.safeParse(readJsonBody(event, 4096));
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({
        path: i.path.join('.') || '(body)',
        message: i.message,
      }));
      throw new HttpError(400, 'invalid_request', details.map((d) => `${d.path}: ${d.message}`).join('; '), {
        details,
      });
    }
    const { name, challenger, weight } = parsed.data;
    if (!(await deps.servable()).includes(challenger))
      throw new HttpError(404, 'not_found', `no complete model ${challenger} in the model store`);
    const deployment = await change(deps, (d) =>
      startExperiment(d, { name, challenger, weight, now: new Date() }),
    );
    return jsonResponse(201, { deployment });
  }, options);
}

/** POST /v1/admin/experiments/{name}/{action} — promote the challenger, or stop the experiment. */
export function createExperimentActionHandler(deps: AdminExperimentsDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const name = pathParam(event, 'name');
    const action = pathParam(event, 'action');
    if (action !== 'promote' && action !== 'stop')
      throw new HttpError(404, 'not_found', `no action "${action}": use promote or stop`);
    const act = action === 'promote' ? promoteExperiment : stopExperiment;
    const deployment = await change(deps, (d) => act(d, name, new Date()));
    return jsonResponse(200, { deployment });
  }, options);
}
