import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGetItemHandler } from '../../functions/api/get-item/get-item.ts';
import { makeEvent } from '../helpers/events.ts';
import { bodyOf, startLocalApi } from '../helpers/local-api.ts';

type Api = Awaited<ReturnType<typeof startLocalApi>>;

/** Input rules through the HTTP routes: the text rule (shared/domain/text.ts) and the id rule on path parameters. */
describe('HTTP API: input rules on the local server', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startLocalApi();
  });
  afterAll(async () => {
    await api?.stop();
  });

  describe('one text rule for ids and catalog text', () => {
    it('PUT /v1/items refuses a C1 control character in a title or description, as in an id, naming the field', async () => {
      // Prepare: U+0085 (NEXT LINE) and U+009B (CSI) are C1 controls; a description may hold line breaks
      const items = [
        { itemId: 'lamp\u0085', title: 'Lamp' },
        { itemId: 'lamp-1', title: 'Desk\u0085lamp' },
        { itemId: 'lamp-2', title: 'Desk lamp', description: 'Bright \u009b[31m red' },
        {
          itemId: 'lamp-3',
          title: 'Desk lamp',
          description: 'Bright.\nDimmable.',
          categories: ['Home\u0007'],
        },
      ];
      // Act
      const res = await api.request('/v1/items', { method: 'PUT', body: JSON.stringify({ items }) });
      // Assess
      expect(res.status).toBe(400);
      expect((await bodyOf(res)).error).toEqual({
        code: 'invalid_items',
        message: 'no item in the batch is valid',
        details: [
          { path: 'items[0].itemId', message: 'must not contain control characters' },
          { path: 'items[1].title', message: 'must not contain control characters' },
          {
            path: 'items[2].description',
            message: 'must not contain control characters other than tab and line breaks',
          },
          { path: 'items[3].categories[0]', message: 'must not contain control characters' },
        ],
      });
      expect((await api.request('/v1/items/lamp-1')).status).toBe(404);
    });

    it('POST /v1/events refuses a C1 control character in an id or a search text, naming event and field', async () => {
      // Prepare
      const good = makeEvent();
      const badItem = makeEvent({ itemId: 'sku\u0085' });
      const badQuery = makeEvent({ type: 'search', itemId: undefined, query: 'red\u009bmug' });
      // Act
      const res = await api.request('/v1/events', {
        method: 'POST',
        body: JSON.stringify({ events: [good, badItem, badQuery] }),
      });
      // Assess
      expect(res.status).toBe(202);
      expect(await bodyOf(res)).toEqual({
        accepted: 1,
        rejected: [
          {
            index: 1,
            eventId: badItem.eventId,
            errors: [{ path: 'itemId', message: 'must not contain control characters' }],
          },
          {
            index: 2,
            eventId: badQuery.eventId,
            errors: [{ path: 'query', message: 'must not contain control characters' }],
          },
        ],
      });
      const none = await api.request('/v1/events', { method: 'POST', body: JSON.stringify([badItem]) });
      expect((await bodyOf(none)).error.details).toEqual([
        { path: 'events[0].itemId', message: 'must not contain control characters' },
      ]);
    });
  });

  it('POST /v1/feedback refuses a timestamp more than 5 minutes ahead with a 400 naming it (its event would be refused)', async () => {
    // Prepare
    const feedback = { recommendationId: 'r-1', userId: 'u-fb', itemId: 'sku-1', action: 'click' };
    const ahead = new Date(Date.now() + 10 * 60_000).toISOString();
    // Act
    const future = await api.request('/v1/feedback', {
      method: 'POST',
      body: JSON.stringify({ ...feedback, timestamp: ahead }),
    });
    const now = await api.request('/v1/feedback', {
      method: 'POST',
      body: JSON.stringify({ ...feedback, timestamp: new Date().toISOString() }),
    });
    // Assess
    expect(future.status).toBe(400);
    expect((await bodyOf(future)).error.details).toEqual([
      { path: 'timestamp', message: 'is more than 5 minutes in the future' },
    ]);
    expect(now.status).toBe(202);
  });

  describe('path parameters: one rule on every route', () => {
    const long = 'x'.repeat(129);
    const routes = [
      { route: '/v1/items/{itemId}', path: (id: string) => `/v1/items/${id}`, param: 'itemId' },
      {
        route: '/v1/items/{itemId}/similar',
        path: (id: string) => `/v1/items/${id}/similar`,
        param: 'itemId',
      },
      {
        route: '/v1/users/{userId}/recommendations',
        path: (id: string) => `/v1/users/${id}/recommendations`,
        param: 'userId',
      },
      {
        route: '/v1/sessions/{sessionId}/recommendations',
        path: (id: string) => `/v1/sessions/${id}/recommendations`,
        param: 'sessionId',
      },
      { route: '/v1/experiments/{name}', path: (id: string) => `/v1/experiments/${id}`, param: 'name' },
    ];

    async function expect400(path: string, param: string, message: string): Promise<void> {
      const res = await api.request(path);
      expect(res.status, path).toBe(400);
      expect((await bodyOf(res)).error, path).toEqual({
        code: 'invalid_request',
        message: `${param} ${message}`,
        details: [{ path: param, message }],
      });
    }

    it.each(routes)('$route: a malformed percent escape is a 400 naming the parameter', async (route) => {
      // %ZZ is no escape at all; %C0 and %E2%82 are escapes that are not UTF-8
      for (const raw of ['%ZZ', '%C0', 'ab%E2%82', '%'])
        await expect400(route.path(raw), route.param, 'is not valid percent-encoded UTF-8');
    });

    it.each(routes)(
      '$route: 129 characters or a control character is a 400 naming the parameter',
      async (route) => {
        await expect400(route.path(long), route.param, 'must be at most 128 characters');
        await expect400(route.path('a%C2%85b'), route.param, 'must not contain control characters');
        await expect400(route.path('a%00'), route.param, 'must not contain control characters');
      },
    );

    it('on Lambda the same: the handler decodes what API Gateway hands over still percent-encoded', async () => {
      // Prepare: API Gateway (REST) passes `/v1/items/lamp%2Fdesk%20%C3%A9` as pathParameters.itemId 'lamp%2Fdesk%20%C3%A9'
      await api.request('/v1/items', {
        method: 'PUT',
        body: JSON.stringify([{ itemId: 'lamp/desk é', title: 'Desk lamp' }]),
      });
      const handler = createGetItemHandler({ store: api.runtime.store });
      const invoke = (itemId: string) =>
        handler(
          {
            httpMethod: 'GET',
            resource: '/v1/items/{itemId}',
            path: `/v1/items/${itemId}`,
            headers: {},
            pathParameters: { itemId },
            queryStringParameters: null,
            body: null,
            isBase64Encoded: false,
            requestContext: { requestId: 'lambda-1' },
          } as unknown as APIGatewayProxyEvent,
          { awsRequestId: 'lambda-1', functionName: 'get-item' } as unknown as Context,
        );
      // Act
      const found = await invoke('lamp%2Fdesk%20%C3%A9');
      const malformed = await invoke('%C0');
      // Assess
      expect(found.statusCode).toBe(200);
      expect(JSON.parse(found.body)).toMatchObject({ itemId: 'lamp/desk é', title: 'Desk lamp' });
      expect(malformed.statusCode).toBe(400);
      expect(JSON.parse(malformed.body).error.details).toEqual([
        { path: 'itemId', message: 'is not valid percent-encoded UTF-8' },
      ]);
    });

    it('takes 128 characters (code points, as JSON Schema counts), and decodes escapes once', async () => {
      // Prepare: a slash, a space, non-ASCII, a percent sign, and 128 astral characters (256 UTF-16 units)
      const ids = ['y'.repeat(128), 'tasse à café', 'a%b', 'mug/blue', '\u{1F56F}'.repeat(128)];
      const put = await api.request('/v1/items', {
        method: 'PUT',
        body: JSON.stringify(ids.map((itemId) => ({ itemId, title: `title of ${itemId}` }))),
      });
      expect(await put.json()).toEqual({ upserted: 5, rejected: [] });
      // Act + Assess
      for (const id of ids) {
        const got = await api.request(`/v1/items/${encodeURIComponent(id)}`);
        expect(got.status, id).toBe(200);
        expect((await bodyOf(got)).title).toBe(`title of ${id}`);
      }
      expect((await api.request(`/v1/items/${'z'.repeat(128)}`)).status).toBe(404);
      const astral = await api.request(`/v1/items/${encodeURIComponent('\u{1F56F}'.repeat(129))}`);
      expect((await bodyOf(astral)).error.details).toEqual([
        { path: 'itemId', message: 'must be at most 128 characters' },
      ]);
    });
  });
});
