import type { FeedbackStore } from '../../../shared/ports/feedback-store.ts';
import type { Deployment } from '../../../shared/ports/publication-store.ts';
import { HttpError, jsonResponse, pathParam } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { invalidParam } from '../../../shared/runtime/serving-params.ts';
import { experimentReport } from '../../../shared/serving/experiments.ts';
import { NAME_PATTERN } from '../../../shared/serving/recommendation-id.ts';

/** GET /v1/experiments/{name} — counters per variant, CTR, lift, interval and p-value against the control. */
export function createGetExperimentHandler(
  deps: () => { feedback: FeedbackStore; deployment: { get(): Promise<Deployment | undefined> } },
  options?: ApiMiddlewareOptions,
) {
  return apiHandler(async (event) => {
    const name = pathParam(event, 'name');
    if (!NAME_PATTERN.test(name)) throw invalidParam('name', `must match ${NAME_PATTERN}`);
    const { feedback, deployment } = deps();
    const [record, counters] = await Promise.all([deployment.get(), feedback.counters(name)]);
    const report = experimentReport(name, record, counters);
    if (report === undefined) throw new HttpError(404, 'not_found', `no experiment named "${name}"`);
    return jsonResponse(200, report);
  }, options);
}
