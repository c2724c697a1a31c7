import type { ModelPackage, ModelRegistry } from '../../../shared/ports/model-registry.ts';
import type { Deployment } from '../../../shared/ports/publication-store.ts';
import { jsonResponse } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

export interface AdminModelsDeps {
  registry: Pick<ModelRegistry, 'list'>;
  deployment: () => Promise<Deployment | undefined>;
  /** The versions whose artifact is complete in the model store: what can be served or compared. */
  servable: () => Promise<readonly string[]>;
}

/** Which part a version plays in the deployment record. */
function roleOf(version: string, d: Deployment | undefined): string | null {
  if (d === undefined) return null;
  if (d.champion === version) return 'champion';
  const variant = d.experiment?.variants.find((v) => v.modelVersion === version);
  if (variant !== undefined) return variant.name;
  return d.previousChampion === version ? 'previous' : null;
}

function summary(p: ModelPackage, d: Deployment | undefined, servable: ReadonlySet<string>) {
  const kind = (p.hyperparameters as { kind?: unknown; model?: { kind?: unknown } }).kind;
  return {
    modelVersion: p.modelVersion,
    modelPackageVersion: p.modelPackageVersion,
    approvalStatus: p.approvalStatus,
    approvalDescription: p.approvalDescription ?? null,
    creationTime: p.creationTime,
    engine: p.engine,
    model: typeof kind === 'string' ? kind : null,
    metrics: p.metrics,
    gate: p.gate,
    executionName: p.executionName ?? null,
    role: roleOf(p.modelVersion, d),
    servable: servable.has(p.modelVersion),
  };
}

/**
 * GET /v1/admin/models — the registry as the console shows it: every version with its metrics (its own and the
 * popularity baseline's at the gate's k), the gate's decision and reasons, the approval status, and which one
 * serves (from the deployment record).
 */
export function createAdminModelsHandler(deps: AdminModelsDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async () => {
    const [packages, deployment, servable] = await Promise.all([
      deps.registry.list(),
      deps.deployment(),
      deps.servable(),
    ]);
    const servableSet = new Set(servable);
    return jsonResponse(200, {
      deployment: deployment ?? null,
      models: packages.map((p) => summary(p, deployment, servableSet)),
    });
  }, options);
}
