import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLake } from '../../local/training/sources.ts';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';
import {
  buildInteractions,
  DEFAULT_EVENT_WEIGHTS,
  EVENT_WEIGHTS_CONFIG,
  toEpochMs,
} from '../../shared/model/interactions.ts';

/**
 * Exposure without a click as a weak negative (issue 16.6), where the TypeScript trainer reads the lake
 * (shared/training/lake-input.ts through `loadLake`, what `recsys train` and the local engine call).
 */
let root: string;
const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 12, minute)).toISOString();
const ev = (eventId: string, type: string, userId: string, itemId: string, minute: number) => ({
  id: eventId,
  json: JSON.stringify({ eventId, type, userId, itemId, timestamp: at(minute) }),
});
const shown = (id: string, shopper: string, items: string[], minute: number) => ({
  id,
  json: JSON.stringify({
    recommendationId: id,
    list: 'user',
    shopper,
    variant: 'champion',
    modelVersion: 'v',
    items,
    timestamp: at(minute),
    sampleRate: 1,
  }),
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'recsys-exposures-'));
  const events = createLakeWriter({ root, zonePrefix: 'raw/events', streamName: 'e', durable: false });
  const impressions = createLakeWriter({
    root,
    zonePrefix: 'raw/impressions',
    streamName: 'i',
    durable: false,
  });
  await events.put([
    ev('e1', 'purchase', 'u1', 'a', 0),
    ev('e2', 'view', 'u1', 'b', 0),
    ev('e3', 'view', 'u1', 'c', 30),
    ev('e4', 'view', 'u2', 'a', 0),
  ]);
  await impressions.put([
    // u1 is shown a, b and c at minute 10 and again at 20 (the second list delivered twice: counted once), and
    // does nothing with a or b; c is viewed at 30, after both. u2 is shown d, never touched; s:… is anonymous.
    shown('r1', 'u:u1', ['a', 'b', 'c'], 10),
    shown('r2', 'u:u1', ['a', 'b', 'c'], 20),
    shown('r2', 'u:u1', ['a', 'b', 'c'], 20),
    shown('r3', 'u:u2', ['d'], 10),
    shown('r4', 's:x', ['a'], 10),
  ]);
  await events.close();
  await impressions.close();
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('Training: exposures without a click from raw/impressions', () => {
  it('lowers the confidence of a pair shown after its last event, per exposure, and leaves the others', async () => {
    // Act
    const input = await loadLake(root);
    const ix = buildInteractions(input.records);

    // Assess: exposureWithoutClick per ignored exposure (two lists); c was viewed after both; d and the
    // anonymous list add nothing; b's view is cancelled outright (1 − 2 × 0.5 = 0: the pair is dropped).
    const w = EVENT_WEIGHTS_CONFIG.exposureWithoutClick!;
    expect(w).toBe(-0.5);
    const conf = (u: string, i: string) => {
      const row = ix.userIndex.get(u)!;
      const col = ix.itemIndex.get(i);
      for (let p = ix.csr.indptr[row]!; p < ix.csr.indptr[row + 1]!; p++)
        if (ix.csr.indices[p] === col) return ix.csr.values[p];
      return undefined;
    };
    expect(conf('u1', 'a')).toBeCloseTo(DEFAULT_EVENT_WEIGHTS.purchase + 2 * w, 6);
    expect(conf('u1', 'b')).toBeUndefined();
    expect(conf('u1', 'c')).toBe(DEFAULT_EVENT_WEIGHTS.view);
    expect(conf('u2', 'a')).toBe(DEFAULT_EVENT_WEIGHTS.view);
    expect(ix.itemIndex.has('d')).toBe(false);
    expect(input.data).toMatchObject({ events: 4, exposures: 4, impressionLists: 3 });
    // Dated by the pair's last event: the newest record is still the newest event.
    expect(Math.max(...input.records.map((r) => toEpochMs(r.timestamp)))).toBe(Date.parse(at(30)));
  });
});
