import { readFileSync } from 'node:fs';
import { createDeleteUserHandler } from '../../functions/api/delete-user/delete-user.ts';
import { createGetBoughtTogetherHandler } from '../../functions/api/get-bought-together/get-bought-together.ts';
import { createGetExperimentHandler } from '../../functions/api/get-experiment/get-experiment.ts';
import { createGetItemHandler } from '../../functions/api/get-item/get-item.ts';
import { createGetOpenApiHandler } from '../../functions/api/get-openapi/get-openapi.ts';
import { createGetRecommendationsHandler } from '../../functions/api/get-recommendations/get-recommendations.ts';
import { createGetSessionRecommendationsHandler } from '../../functions/api/get-session-recommendations/get-session-recommendations.ts';
import { createGetSimilarItemsHandler } from '../../functions/api/get-similar-items/get-similar-items.ts';
import { createGetTrendingHandler } from '../../functions/api/get-trending/get-trending.ts';
import { createGetUserHandler } from '../../functions/api/get-user/get-user.ts';
import { createHealthHandler } from '../../functions/api/health/health.ts';
import { createIngestEventsHandler } from '../../functions/api/ingest-events/ingest-events.ts';
import { createPostCartRecommendationsHandler } from '../../functions/api/post-cart-recommendations/post-cart-recommendations.ts';
import { createPostFeedbackHandler } from '../../functions/api/post-feedback/post-feedback.ts';
import { createPostRerankHandler } from '../../functions/api/post-rerank/post-rerank.ts';
import { createPutItemsHandler } from '../../functions/api/put-items/put-items.ts';
import { createPutUserPreferencesHandler } from '../../functions/api/put-user-preferences/put-user-preferences.ts';
import { createPutUsersHandler } from '../../functions/api/put-users/put-users.ts';
import { localForgetDeps } from '../forget-deps.ts';
import type { LocalRuntime } from '../runtime.ts';
import { adminRoutes } from './admin-routes.ts';
import { type LocalServingOptions, localServing } from './local-serving.ts';
import type { Route } from './route.ts';

const OPENAPI = new URL('../../openapi.yaml', import.meta.url);

/** The same handler factories the Lambda entry points use, bound to the embedded adapters. */
export function localRoutes(
  runtime: LocalRuntime,
  version: string,
  servingOptions?: LocalServingOptions,
): Route[] {
  const { eventSink, itemSink, store, counters } = runtime;
  const serving = localServing(runtime, servingOptions);
  const recommender = () => serving.recommender;
  return [
    {
      method: 'GET',
      resource: '/health',
      keyRequired: false,
      handler: createHealthHandler({ runtime: 'local', version }),
    },
    {
      method: 'GET',
      resource: '/openapi.yaml',
      keyRequired: false,
      handler: createGetOpenApiHandler(readFileSync(OPENAPI, 'utf8')),
    },
    {
      method: 'POST',
      resource: '/v1/events',
      keyRequired: true,
      handler: createIngestEventsHandler({
        eventSink,
        store,
        counters,
        onCounterError: (e) => process.stderr.write(`live counters not updated: ${String(e)}\n`),
      }),
    },
    {
      method: 'PUT',
      resource: '/v1/items',
      keyRequired: true,
      handler: createPutItemsHandler({ itemSink, store }),
    },
    {
      method: 'GET',
      resource: '/v1/items/{itemId}',
      keyRequired: true,
      handler: createGetItemHandler({ store }),
    },
    {
      method: 'GET',
      resource: '/v1/users/{userId}/recommendations',
      keyRequired: true,
      handler: createGetRecommendationsHandler({ recommender }),
    },
    {
      method: 'GET',
      resource: '/v1/sessions/{sessionId}/recommendations',
      keyRequired: true,
      handler: createGetSessionRecommendationsHandler({ recommender }),
    },
    {
      method: 'GET',
      resource: '/v1/items/{itemId}/similar',
      keyRequired: true,
      handler: createGetSimilarItemsHandler({ recommender }),
    },
    {
      method: 'GET',
      resource: '/v1/trending',
      keyRequired: true,
      handler: createGetTrendingHandler({ recommender }),
    },
    {
      method: 'POST',
      resource: '/v1/feedback',
      keyRequired: true,
      handler: createPostFeedbackHandler(() => serving.feedback),
    },
    {
      method: 'GET',
      resource: '/v1/experiments/{name}',
      keyRequired: true,
      handler: createGetExperimentHandler(() => serving.experiments),
    },
    {
      method: 'GET',
      resource: '/v1/items/{itemId}/bought-together',
      keyRequired: true,
      handler: createGetBoughtTogetherHandler({ recommender }),
    },
    {
      method: 'POST',
      resource: '/v1/carts/recommendations',
      keyRequired: true,
      handler: createPostCartRecommendationsHandler({ recommender }),
    },
    {
      method: 'POST',
      resource: '/v1/users/{userId}/rerank',
      keyRequired: true,
      handler: createPostRerankHandler({ recommender }),
    },
    ...adminRoutes(runtime),
    // Shoppers (issue 16): profiles, stated preferences, the right to be forgotten.
    {
      method: 'PUT',
      resource: '/v1/users',
      keyRequired: true,
      handler: createPutUsersHandler({ userSink: runtime.userSink, users: runtime.users }),
    },
    {
      method: 'GET',
      resource: '/v1/users/{userId}',
      keyRequired: true,
      handler: createGetUserHandler({ users: runtime.users }),
    },
    {
      method: 'DELETE',
      resource: '/v1/users/{userId}',
      keyRequired: true,
      handler: createDeleteUserHandler(localForgetDeps(runtime)),
    },
    {
      method: 'PUT',
      resource: '/v1/users/{userId}/preferences',
      keyRequired: true,
      handler: createPutUserPreferencesHandler({ users: runtime.users }),
    },
  ];
}
