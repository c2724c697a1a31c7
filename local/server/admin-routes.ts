import {
  createAdminCompareHandler,
  pinnedPublications,
} from '../../functions/api/admin-compare/admin-compare.ts';
import { createAdminDataHandler } from '../../functions/api/admin-data/admin-data.ts';
import {
  createExperimentActionHandler,
  createStartExperimentHandler,
} from '../../functions/api/admin-experiments/admin-experiments.ts';
import {
  createAdminModelActionHandler,
  type ModelActionPorts,
  type ModelActionResult,
} from '../../functions/api/admin-model-action/admin-model-action.ts';
import { createAdminModelsHandler } from '../../functions/api/admin-models/admin-models.ts';
import {
  createGetRunHandler,
  createListRunsHandler,
  createStartRunHandler,
} from '../../functions/api/admin-runs/admin-runs.ts';
import { createLocalModelStore } from '../../shared/adapters/local/model-store.ts';
import type { ApprovalAction } from '../../shared/registry/follow-approval.ts';
import { HttpError } from '../../shared/runtime/http.ts';
import { composeServing, type Serving } from '../../shared/runtime/serving.ts';
import { dataDirLayout } from '../data-dir.ts';
import { approveVersion, rejectVersion, rollbackTo } from '../pipeline/approval.ts';
import type { RunRecord } from '../pipeline/retrain.ts';
import { localRegistry } from '../registry.ts';
import type { LocalRuntime } from '../runtime.ts';
import { createLocalDataStats } from './local-data-stats.ts';
import { createLocalRuns } from './local-runs.ts';
import type { Route } from './route.ts';

function published(run: RunRecord | undefined): Pick<ModelActionResult, 'execution'> {
  return run === undefined ? {} : { execution: { name: run.name, status: run.status, outcome: run.outcome } };
}

/** A publishing execution that failed is the console's to show, with its cause. */
function failedRun(run: RunRecord): never {
  throw new HttpError(
    500,
    'publish_failed',
    `${run.name} failed in ${run.outcome}: ${run.error?.name}: ${run.error?.cause}`,
  );
}

function describeAction(a: ApprovalAction): string {
  switch (a.action) {
    case 'ignored':
      return a.why;
    case 'publishing':
      return `published and activated ${a.modelVersion} (${a.execution})`;
    case 'rolling-back':
      return `${a.from} rejected while serving: rolled back to ${a.to} (${a.execution})`;
    case 'no-rollback-target':
      return `${a.modelVersion} rejected while serving, but no other Approved version to roll back to`;
  }
}

function modelActions(dataDir: string): ModelActionPorts {
  const registry = localRegistry(dataDir);
  return {
    registry,
    async approve(version, description) {
      const action = await approveVersion({ dataDir, version, description }).catch((e: Error) => {
        throw new HttpError(500, 'publish_failed', e.message);
      });
      return { approvalStatus: 'Approved', message: describeAction(action), ...published(action.run) };
    },
    async reject(version, description) {
      const action = await rejectVersion({ dataDir, version, description });
      return { approvalStatus: 'Rejected', message: describeAction(action), ...published(action.run) };
    },
    async rollback(version) {
      const run = await rollbackTo({ dataDir, version });
      if (run.status === 'FAILED') failedRun(run);
      return { approvalStatus: 'Approved', message: `rolled back to ${version}`, ...published(run) };
    },
  };
}

/**
 * The operator routes (`/v1/admin/…`, behind the API key): the same handler factories as the admin Lambdas,
 * bound to this data directory — the file registry and `recsys approve|reject|rollback`, the runs/ records and
 * runRetrainLocally, the deployment record through updateDeployment, and the lake for the data statistics.
 */
export function adminRoutes(runtime: LocalRuntime): Route[] {
  const { dataDir } = runtime;
  const layout = dataDirLayout(dataDir);
  const models = createLocalModelStore({ root: layout.models });
  const servable = () => models.list();
  const deployment = () => runtime.publications.getDeployment();
  const runs = createLocalRuns({ dataDir, flush: () => runtime.flush() });
  const experiments = { publications: runtime.publications, servable };
  const compare = new Map<string, Serving>();
  const recommenderFor = async (version: string) => {
    if (!(await servable()).includes(version)) return undefined;
    let serving = compare.get(version);
    if (serving === undefined) {
      // Each version's model stays loaded once compared; the oldest is let go past a few.
      if (compare.size >= 4) compare.delete(compare.keys().next().value as string);
      serving = composeServing(
        // Without the impressions: a comparison is the operator's look, not a list served to the shopper; and
        // without the counters, as on Lambda (admin-compare): each version's own blend, not today's live trend.
        {
          ...runtime,
          impressions: undefined,
          counters: undefined,
          models,
          publications: pinnedPublications(runtime.publications, version),
        },
        {
          deploymentTtlMs: 60_000,
          catalogTtlMs: 5_000,
          liveTrendRefreshMs: 60_000,
          trendingRefreshMs: 60_000,
        },
      );
      compare.set(version, serving);
    }
    return serving.recommender;
  };
  const key = { keyRequired: true } as const;
  const routes: Route[] = [
    {
      method: 'GET',
      resource: '/v1/admin/models',
      ...key,
      handler: createAdminModelsHandler({ registry: localRegistry(dataDir), deployment, servable }),
    },
    {
      method: 'POST',
      resource: '/v1/admin/models/{version}/{action}',
      ...key,
      handler: createAdminModelActionHandler(modelActions(dataDir)),
    },
    { method: 'GET', resource: '/v1/admin/runs', ...key, handler: createListRunsHandler(runs) },
    { method: 'POST', resource: '/v1/admin/runs', ...key, handler: createStartRunHandler(runs) },
    { method: 'GET', resource: '/v1/admin/runs/{name}', ...key, handler: createGetRunHandler(runs) },
    {
      method: 'POST',
      resource: '/v1/admin/experiments',
      ...key,
      handler: createStartExperimentHandler(experiments),
    },
    {
      method: 'POST',
      resource: '/v1/admin/experiments/{name}/{action}',
      ...key,
      handler: createExperimentActionHandler(experiments),
    },
    {
      method: 'GET',
      resource: '/v1/admin/data',
      ...key,
      handler: createAdminDataHandler(createLocalDataStats(runtime.lakeRoot)),
    },
    {
      method: 'GET',
      resource: '/v1/admin/users/{userId}/recommendations',
      ...key,
      handler: createAdminCompareHandler({ recommenderFor }),
    },
  ];
  return routes;
}
