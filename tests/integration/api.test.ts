import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestEventsHandler } from '../../functions/api/ingest-events/ingest-events.ts';
import { type LocalRuntime, openLocalRuntime } from '../../local/runtime.ts';
import { startLocalServer } from '../../local/server/http-server.ts';
import { readLakeZone } from '../../shared/adapters/local/lake-reader.ts';
import type { StoredEvent } from '../../shared/domain/event.ts';
import type { RecordSink } from '../../shared/ports/record-sink.ts';
import { makeEvent } from '../helpers/events.ts';
import { bodyOf, startLocalApi, TEST_API_KEY } from '../helpers/local-api.ts';

type Api = Awaited<ReturnType<typeof startLocalApi>>;

describe('HTTP API on the local server', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startLocalApi();
  });
  afterAll(async () => {
    await api?.stop();
  });

  describe('POST /v1/events', () => {
    it('returns 202, accepts the valid events and names each invalid one by index and field', async () => {
      // Prepare
      const good = [makeEvent(), makeEvent({ type: 'purchase', value: 2, price: 3.5, currency: 'GBP' })];
      const bad = makeEvent({ timestamp: 'not a date' });
      // Act
      const res = await api.request('/v1/events', {
        method: 'POST',
        body: JSON.stringify({ events: [good[0], bad, good[1]] }),
      });
      // Assess
      expect(res.status).toBe(202);
      const body = await bodyOf(res);
      expect(body.accepted).toBe(2);
      expect(body.rejected).toEqual([
        {
          index: 1,
          eventId: bad.eventId,
          errors: [{ path: 'timestamp', message: expect.stringContaining('ISO 8601') }],
        },
      ]);
      await api.runtime.flush();
      const landed: string[] = [];
      for await (const e of readLakeZone(api.runtime.lakeRoot, 'raw/events'))
        landed.push((e as { eventId: string }).eventId);
      expect(landed).toEqual(expect.arrayContaining(good.map((e) => e.eventId as string)));
      expect(landed).not.toContain(bad.eventId);
    });

    it('records the shopper’s recent activity for real-time serving', async () => {
      const userId = `u-${randomUUID()}`;
      const e = makeEvent({ userId, type: 'add_to_cart', value: 1 });
      const res = await api.request('/v1/events', { method: 'POST', body: JSON.stringify([e]) });
      expect(res.status).toBe(202);
      const recent = await api.runtime.store.recentActivity(`u:${userId}`);
      expect(recent.map((r) => [r.eventId, r.type, r.itemId])).toEqual([[e.eventId, 'add_to_cart', 'sku-1']]);
    });

    it('returns 400 with every field error when no event is valid', async () => {
      const res = await api.request('/v1/events', {
        method: 'POST',
        body: JSON.stringify({ events: [{ type: 'view' }, makeEvent({ type: 'rating', value: 9 })] }),
      });
      expect(res.status).toBe(400);
      const body = await bodyOf(res);
      expect(body.error.code).toBe('invalid_events');
      expect(body.error.details.map((d: { path: string }) => d.path)).toEqual(
        expect.arrayContaining(['events[0].eventId', 'events[0].timestamp', 'events[1].value']),
      );
    });

    it('returns 400 naming the position of malformed JSON', async () => {
      const res = await api.request('/v1/events', { method: 'POST', body: '{"events": [ {"eventId": } ]}' });
      expect(res.status).toBe(400);
      const body = await bodyOf(res);
      expect(body.error.code).toBe('invalid_json');
      expect(body.error.message).toBe('malformed JSON: value expected at position 25 (line 1, column 26)');
    });

    it('returns 400 for an empty batch and for more than 500 events', async () => {
      const empty = await api.request('/v1/events', { method: 'POST', body: '{"events": []}' });
      expect(empty.status).toBe(400);
      const many = Array.from({ length: 501 }, () => makeEvent());
      const tooMany = await api.request('/v1/events', { method: 'POST', body: JSON.stringify(many) });
      expect(tooMany.status).toBe(400);
      expect((await bodyOf(tooMany)).error.details).toEqual([
        { path: 'events', message: 'must hold 1 to 500 entries' },
      ]);
    });

    it('returns 413 for a body over 4 MiB and 415 for a non-JSON content type', async () => {
      const huge = await api.request('/v1/events', {
        method: 'POST',
        body: `[${' '.repeat(4 * 1024 * 1024)}]`,
      });
      expect(huge.status).toBe(413);
      const text = await api.request('/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify([makeEvent()]),
      });
      expect(text.status).toBe(415);
    });

    it('returns 401 without the key and 403 with a wrong one', async () => {
      const body = JSON.stringify([makeEvent()]);
      expect((await api.request('/v1/events', { method: 'POST', body, key: null })).status).toBe(401);
      expect((await api.request('/v1/events', { method: 'POST', body, key: 'wrong' })).status).toBe(403);
    });
  });

  describe('catalog', () => {
    it('upserts items, serves them by id, and answers 404 for an unknown one', async () => {
      const put = await api.request('/v1/items', {
        method: 'PUT',
        body: JSON.stringify({
          items: [
            {
              itemId: 'mug/red',
              title: 'Red mug',
              price: 4.5,
              currency: 'GBP',
              categories: ['Kitchen', 'Mugs'],
            },
            { itemId: 'x', title: '' },
          ],
        }),
      });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({
        upserted: 1,
        rejected: [{ index: 1, itemId: 'x', errors: [{ path: 'title', message: 'must not be empty' }] }],
      });
      const got = await api.request(`/v1/items/${encodeURIComponent('mug/red')}`);
      expect(got.status).toBe(200);
      expect(await got.json()).toMatchObject({ itemId: 'mug/red', title: 'Red mug', inStock: true });
      expect((await api.request('/v1/items/nope')).status).toBe(404);
    });
  });

  it('serves /health and /openapi.yaml without a key', async () => {
    const health = await api.request('/health', { key: null });
    expect(await health.json()).toMatchObject({ status: 'ok', runtime: 'local' });
    const spec = await api.request('/openapi.yaml', { key: null });
    expect(spec.status).toBe(200);
    expect(await spec.text()).toContain('/v1/events');
  });

  it('returns 404 for an unknown route and 405 for a wrong method', async () => {
    expect((await api.request('/v2/nothing')).status).toBe(404);
    const wrong = await api.request('/v1/events', { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});

describe('POST /v1/events when the lake cannot take everything', () => {
  // The real embedded store (activity written by its worker thread, WAL checkpointed by another) behind the real
  // handler: only the event sink misbehaves. Activity is written beside the lake, so what the lake refuses must be
  // taken out of it before the answer.
  let dataDir: string;
  let runtime: LocalRuntime;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'recsys-api-lake-failure-'));
    runtime = await openLocalRuntime({ dataDir });
  });
  afterAll(async () => {
    await runtime?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function post(sink: RecordSink, events: Record<string, unknown>[]): Promise<Response> {
    const server = await startLocalServer({
      routes: [
        {
          method: 'POST',
          resource: '/v1/events',
          keyRequired: true,
          handler: createIngestEventsHandler({ eventSink: sink, store: runtime.store }),
        },
      ],
      apiKey: TEST_API_KEY,
      port: 0,
    });
    try {
      return await fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY },
        body: JSON.stringify(events),
      });
    } finally {
      await server.close();
    }
  }

  it('returns 503 with Retry-After, counts as accepted only what the sink took, and keeps only that in activity', async () => {
    // Prepare: a sink that takes the first record and reports the others as unavailable (as Firehose does after
    // retries); the third event is a resend of one the lake took earlier, so activity held it before this batch.
    const userId = `u-${randomUUID()}`;
    const earlier = makeEvent({ userId });
    await runtime.store.appendActivity([
      {
        shopperKey: `u:${userId}`,
        event: { ...(earlier as unknown as StoredEvent), receivedAt: new Date().toISOString() },
      },
    ]);
    const taken: string[] = [];
    const sink: RecordSink = {
      async put(records) {
        taken.push(records[0]!.id);
        return {
          failed: records
            .slice(1)
            .map((r, i) => ({ index: i + 1, id: r.id, code: 'unavailable', message: 'throttled' })),
        };
      },
      async close() {},
    };
    const events = [makeEvent({ userId }), makeEvent({ userId }), earlier];

    // Act
    const res = await post(sink, events);

    // Assess
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    const body = await bodyOf(res);
    expect(body.accepted).toBe(1);
    expect(body.unavailable).toEqual(
      [1, 2].map((index) => ({
        index,
        eventId: events[index]!.eventId,
        errors: [{ path: '(root)', message: 'throttled' }],
      })),
    );
    expect(taken).toEqual([events[0]!.eventId]);
    // The refused resend is gone from activity too, until the client resends it as told.
    expect((await runtime.store.recentActivity(`u:${userId}`)).map((e) => e.eventId)).toEqual([
      events[0]!.eventId,
    ]);
  });

  it('answers 5xx and leaves no activity when the lake fails outright', async () => {
    // Prepare
    const userId = `u-${randomUUID()}`;
    const sink: RecordSink = {
      async put() {
        throw new Error('disk full');
      },
      async close() {},
    };

    // Act
    const res = await post(sink, [makeEvent({ userId }), makeEvent({ userId })]);

    // Assess
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await runtime.store.recentActivity(`u:${userId}`)).toEqual([]);
  });
});
