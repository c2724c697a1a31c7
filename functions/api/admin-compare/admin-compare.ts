import type { PublicationStore } from '../../../shared/ports/publication-store.ts';
import { HttpError, jsonResponse, pathParam } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';
import { personalRequest, query } from '../../../shared/runtime/serving-params.ts';
import type { Recommender } from '../../../shared/serving/recommender.ts';

/**
 * The publication store as if `version` served everyone: serving's own path (published list, fold-in, filters,
 * reasons) pinned to one version, with no experiment, so nothing is counted as an exposure.
 */
export function pinnedPublications(publications: PublicationStore, version: string): PublicationStore {
  return {
    putRecommendations: () => Promise.reject(new Error('the compare view never writes lists')),
    getRecommendations: (v, userId) => publications.getRecommendations(v, userId),
    listsExpireAt: (v) => publications.listsExpireAt(v),
    getDeployment: async () => ({
      revision: 0,
      champion: version,
      updatedAt: new Date(0).toISOString(),
      reason: `compare ${version}`,
    }),
    putDeployment: () => Promise.reject(new Error('the compare view never changes the deployment record')),
    removeLists: () => Promise.reject(new Error('the compare view never removes lists')),
    close: async () => {},
  };
}

export interface AdminCompareDeps {
  /** A recommender serving everyone `version` (undefined when the version has no complete artifact). */
  recommenderFor(version: string): Promise<Recommender | undefined>;
}

/**
 * GET /v1/admin/users/{userId}/recommendations?modelVersion=… — the shopper's list as one given version would
 * serve it (same serving path: published list, fold-in, filters, reasons), for comparing versions side by side.
 */
export function createAdminCompareHandler(deps: AdminCompareDeps, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const userId = pathParam(event, 'userId');
    const version = query(event, 'modelVersion');
    if (version === undefined || version === '')
      throw new HttpError(400, 'invalid_request', 'modelVersion is required', {
        details: [{ path: 'modelVersion', message: 'is required' }],
      });
    const request = personalRequest(event);
    const recommender = await deps.recommenderFor(version);
    if (recommender === undefined)
      throw new HttpError(404, 'not_found', `no complete model ${version} to serve`);
    return jsonResponse(200, await recommender.forUser({ userId, ...request }));
  }, options);
}
