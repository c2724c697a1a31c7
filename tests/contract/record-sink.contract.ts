import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseObjectKey } from '../../shared/adapters/local/lake-layout.ts';
import type { RecordSink, SinkRecord } from '../../shared/ports/record-sink.ts';
import type { DeliveredObject } from '../helpers/firehose-lake.ts';

type Zone = 'events' | 'items';

export type RecordSinkSetup = (stream: { zone: Zone; streamName: string }) => Promise<{
  sink: RecordSink;
  /** The lake's objects under their keys, with their gunzipped bytes; read after the sink is closed. */
  delivered(): Promise<DeliveredObject[]>;
  cleanup(): Promise<void>;
}>;

/** 1,000 KiB: the largest JSON line (newline included) one record may be. */
const MAX_LINE_BYTES = 1_000 * 1024;

function records(count: number, tag: string): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const id = randomUUID();
    // Non-ASCII text: keys and limits count UTF-8 bytes, not UTF-16 units.
    return { id, json: JSON.stringify({ eventId: id, type: 'view', itemId: `ïtem-${i}-✓`, tag }) };
  });
}

/** A record whose JSON line (its newline included) is exactly `lineBytes` UTF-8 bytes, most of them '€'. */
function recordOfLineBytes(lineBytes: number): SinkRecord {
  const id = randomUUID();
  const shell = JSON.stringify({ eventId: id, padding: '' });
  const free = lineBytes - Buffer.byteLength(shell) - 1;
  const padding = '€'.repeat(Math.floor(free / 3)) + 'x'.repeat(free % 3);
  const json = JSON.stringify({ eventId: id, padding });
  expect(Buffer.byteLength(json) + 1).toBe(lineBytes);
  return { id, json };
}

const lines = (rs: readonly SinkRecord[]) => rs.map((r) => `${r.json}\n`).join('');

/** The objects' bytes one after the other, each object placed where its first line sits in `input`. */
function inInputOrder(objects: readonly DeliveredObject[], input: readonly SinkRecord[]): string {
  const position = new Map(input.map((r, i) => [r.json, i]));
  const first = (o: DeliveredObject) => position.get(o.text.slice(0, o.text.indexOf('\n'))) ?? -1;
  return [...objects]
    .sort((a, b) => first(a) - first(b))
    .map((o) => o.text)
    .join('');
}

/**
 * The whole behaviour of the RecordSink port; every adapter runs it (tests/contract/record-sink.test.ts), so the
 * local lake and the lake Firehose fills stay one lake to the crawler, the trainers and Athena.
 */
export function recordSinkContract(name: string, setup: RecordSinkSetup): void {
  describe(`Contract: RecordSink (${name})`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    async function open(zone: Zone = 'events') {
      const streamName = `recsys-${randomUUID().slice(0, 8)}-${zone}`;
      const opened = await setup({ zone, streamName });
      cleanup = opened.cleanup;
      return { ...opened, streamName };
    }

    it.each(['events', 'items'] as const)(
      'lands records as JSON lines under raw/%s/year=/month=/day=/<stream>-1-<time>-<uuid>.gz',
      async (zone) => {
        // Prepare
        const { sink, delivered, streamName } = await open(zone);
        const input = records(1_201, 'layout');
        const before = Math.floor(Date.now() / 1000) * 1000;

        // Act
        const result = await sink.put(input);
        await sink.close();
        const after = Date.now();
        const objects = await delivered();

        // Assess
        expect(result).toEqual({ failed: [] });
        expect(inInputOrder(objects, input)).toBe(lines(input));
        const key = new RegExp(
          `^raw/${zone}/year=(\\d{4})/month=(\\d{2})/day=(\\d{2})/${streamName}-1-(\\d{4})-(\\d{2})-(\\d{2})-(\\d{2})-(\\d{2})-(\\d{2})-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.gz$`,
        );
        for (const object of objects) {
          const [, year, month, day, ...stamp] = key.exec(object.key) ?? [];
          expect(object.key).toMatch(key);
          // The partition is the arrival date, the name its time to the second, both UTC.
          expect([year, month, day]).toEqual(stamp.slice(0, 3));
          const [y, mo, d, h, mi, s] = stamp.map(Number) as [number, number, number, number, number, number];
          const arrival = Date.UTC(y, mo - 1, d, h, mi, s);
          expect(arrival).toBeGreaterThanOrEqual(before);
          expect(arrival).toBeLessThanOrEqual(after);
          expect(parseObjectKey(object.key)).toMatchObject({ zone: `raw/${zone}`, stream: streamName });
        }
      },
    );

    it('returns no failures and delivers nothing for an empty put', async () => {
      // Prepare
      const { sink, delivered } = await open();

      // Act
      const result = await sink.put([]);
      await sink.close();

      // Assess
      expect(result).toEqual({ failed: [] });
      expect(await delivered()).toEqual([]);
    });

    it('returns too_large for a line over 1,000 KiB, at its index and with its id, and delivers the others in order', async () => {
      // Prepare
      const { sink, delivered } = await open();
      const atLimit = recordOfLineBytes(MAX_LINE_BYTES);
      const over = recordOfLineBytes(MAX_LINE_BYTES + 1);
      const [a, b] = records(2, 'small');
      const input = [a!, over, atLimit, b!];

      // Act
      const result = await sink.put(input);
      await sink.close();
      const objects = await delivered();

      // Assess
      expect(result).toEqual({
        failed: [
          {
            index: 1,
            id: over.id,
            code: 'too_large',
            message: `record is ${MAX_LINE_BYTES + 1} bytes as a JSON line; the limit is ${MAX_LINE_BYTES}`,
          },
        ],
      });
      expect(inInputOrder(objects, input)).toBe(lines([a!, atLimit, b!]));
    });

    it('returns no failures for more than 500 records and more than 4 MiB in one call, and delivers them all in order', async () => {
      // Prepare: 5 records of 1,000 KiB (5,120,000 bytes) among 700 small ones.
      const { sink, delivered } = await open();
      const small = records(700, 'bulk');
      const input = small.flatMap((r, i) => (i % 140 === 70 ? [recordOfLineBytes(MAX_LINE_BYTES), r] : [r]));

      // Act
      const result = await sink.put(input);
      await sink.close();
      const objects = await delivered();

      // Assess
      expect(input).toHaveLength(705);
      expect(result).toEqual({ failed: [] });
      expect(inInputOrder(objects, input)).toBe(lines(input));
    });

    it('delivers every record of concurrent puts once, each put in its own order', async () => {
      // Prepare
      const { sink, delivered } = await open();
      const puts = [records(300, 'p0'), records(1, 'p1'), records(520, 'p2')];

      // Act
      const results = await Promise.all(puts.map((p) => sink.put(p)));
      await sink.close();
      const objects = await delivered();

      // Assess
      expect(results).toEqual([{ failed: [] }, { failed: [] }, { failed: [] }]);
      const all = objects.flatMap((o) => o.text.slice(0, -1).split('\n'));
      expect([...all].sort()).toEqual(
        puts
          .flat()
          .map((r) => r.json)
          .sort(),
      );
      for (const [i, put] of puts.entries()) {
        const ofPut = objects.map((o) => ({ key: o.key, text: grepTag(o.text, `p${i}`) }));
        expect(inInputOrder(ofPut, put)).toBe(lines(put));
      }
    });
  });
}

/** The lines of `text` that carry `tag`, as text. */
function grepTag(text: string, tag: string): string {
  return text
    .split('\n')
    .filter((line) => line.includes(`"tag":"${tag}"`))
    .map((line) => `${line}\n`)
    .join('');
}
