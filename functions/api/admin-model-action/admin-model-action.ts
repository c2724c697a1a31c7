import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ModelPackage, ModelRegistry } from '../../../shared/ports/model-registry.ts';
import { HttpError, jsonResponse, pathParam, readJsonBody } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

const MODEL_ACTIONS = ['approve', 'reject', 'rollback'] as const;
type ModelAction = (typeof MODEL_ACTIONS)[number];

/** What an action did: the package's status now, and the execution that publishes it when one ran or started. */
export interface ModelActionResult {
  approvalStatus: string;
  /** The publishing execution (locally it has finished; on AWS it was started). */
  execution?: { name: string; status: string; outcome?: string };
  message: string;
}

/**
 * The approval use cases, bound per runtime: locally `recsys approve|reject|rollback` (local/pipeline/approval.ts:
 * UpdateModelPackage, then the approval Lambda's factory publishing through the state machine); on AWS
 * UpdateModelPackage (EventBridge runs the approval Lambda) and StartExecution for a rollback.
 */
export interface ModelActionPorts {
  registry: Pick<ModelRegistry, 'get'>;
  approve(version: string, description: string): Promise<ModelActionResult>;
  reject(version: string, description: string): Promise<ModelActionResult>;
  rollback(version: string): Promise<ModelActionResult>;
}

function refusal(action: ModelAction, p: ModelPackage): string | undefined {
  if (action === 'rollback' && p.approvalStatus !== 'Approved')
    return `${p.modelVersion} is ${p.approvalStatus}: only an Approved version can serve (approve it first)`;
  if (action === 'approve' && p.approvalStatus === 'Approved') return `${p.modelVersion} is Approved already`;
  if (action === 'reject' && p.approvalStatus === 'Rejected') return `${p.modelVersion} is Rejected already`;
  return undefined;
}

function descriptionOf(event: APIGatewayProxyEvent): string | undefined {
  if (event.body === null || event.body.trim() === '') return undefined;
  const d = (readJsonBody(event, 4096) as { description?: unknown } | null)?.description;
  if (d === undefined) return undefined;
  if (typeof d !== 'string' || d.length > 256)
    throw new HttpError(400, 'invalid_request', 'description must be a string of at most 256 characters', {
      details: [{ path: 'description', message: 'must be a string of at most 256 characters' }],
    });
  return d;
}

/** POST /v1/admin/models/{version}/{action} — approve, reject or roll back to a registered version. */
export function createAdminModelActionHandler(ports: ModelActionPorts, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const version = pathParam(event, 'version');
    const action = pathParam(event, 'action');
    if (!(MODEL_ACTIONS as readonly string[]).includes(action))
      throw new HttpError(404, 'not_found', `no action "${action}": use ${MODEL_ACTIONS.join(', ')}`);
    const description = descriptionOf(event) ?? `${action} in the operations console`;
    const p = await ports.registry.get(version);
    if (p === undefined) throw new HttpError(404, 'not_found', `no registered model version "${version}"`);
    const refused = refusal(action as ModelAction, p);
    if (refused !== undefined) throw new HttpError(409, 'conflict', refused);
    const result =
      action === 'approve'
        ? await ports.approve(version, description)
        : action === 'reject'
          ? await ports.reject(version, description)
          : await ports.rollback(version);
    return jsonResponse(200, { modelVersion: version, action, ...result });
  }, options);
}
