import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chunkRecords,
  FIREHOSE_LIMITS,
  type FirehoseLimits,
} from '../../shared/adapters/aws/firehose-batches.ts';
import type { SinkRecord } from '../../shared/ports/record-sink.ts';

const decoder = new TextDecoder();
const framedSize = (r: SinkRecord) => Buffer.byteLength(`${r.json}\n`, 'utf8');

// Small limits so that a few dozen short records cross every boundary; 'binary' strings bring multi-byte
// characters, where a count of characters and a count of bytes disagree.
const limitsArb: fc.Arbitrary<FirehoseLimits> = fc
  .record({ maxRecords: fc.integer({ min: 1, max: 8 }), maxRecordBytes: fc.integer({ min: 1, max: 60 }) })
  .chain(({ maxRecords, maxRecordBytes }) =>
    fc
      .integer({ min: maxRecordBytes, max: 200 })
      .map((maxBatchBytes) => ({ maxRecords, maxRecordBytes, maxBatchBytes })),
  );
const recordsArb: fc.Arbitrary<SinkRecord[]> = fc.array(
  fc.record({ id: fc.string({ maxLength: 6 }), json: fc.string({ unit: 'binary', maxLength: 70 }) }),
  { maxLength: 60 },
);

const record = (json: string, id = 'r'): SinkRecord => ({ id, json });
/** A record whose JSON line (with its newline) is exactly `bytes` long. */
const recordOfSize = (bytes: number, id = 'r'): SinkRecord => record('x'.repeat(bytes - 1), id);

describe('chunkRecords', () => {
  it('returns every record exactly once, either in a batch or rejected as too large', () => {
    fc.assert(
      fc.property(recordsArb, limitsArb, (records, limits) => {
        // Act
        const { batches, tooLarge } = chunkRecords(records, limits);

        // Assess
        const seen = [...batches.flatMap((b) => b.indexes), ...tooLarge.map((f) => f.index)].sort(
          (a, b) => a - b,
        );
        expect(seen).toEqual(records.map((_, i) => i));
      }),
    );
  });

  it('returns batches within the record count and byte limits, with their byte totals', () => {
    fc.assert(
      fc.property(recordsArb, limitsArb, (records, limits) => {
        const { batches } = chunkRecords(records, limits);

        for (const batch of batches) {
          const bytes = batch.data.reduce((sum, d) => sum + d.byteLength, 0);
          expect(batch.data.length).toBeGreaterThan(0);
          expect(batch.data.length).toBeLessThanOrEqual(limits.maxRecords);
          expect(bytes).toBeLessThanOrEqual(limits.maxBatchBytes);
          expect(batch.bytes).toBe(bytes);
          expect(batch.indexes.length).toBe(batch.data.length);
        }
      }),
    );
  });

  it('returns the records in input order, each framed as its JSON plus a newline', () => {
    fc.assert(
      fc.property(recordsArb, limitsArb, (records, limits) => {
        const { batches } = chunkRecords(records, limits);

        const order = batches.flatMap((b) => b.indexes);
        expect(order).toEqual([...order].sort((a, b) => a - b));
        for (const batch of batches) {
          batch.indexes.forEach((index, i) => {
            expect(decoder.decode(batch.data[i])).toBe(`${records[index]!.json}\n`);
          });
        }
      }),
    );
  });

  it('returns too_large exactly for records whose JSON line exceeds the record limit', () => {
    fc.assert(
      fc.property(recordsArb, limitsArb, (records, limits) => {
        const { tooLarge } = chunkRecords(records, limits);

        const expected = records.flatMap((r, index) =>
          framedSize(r) > limits.maxRecordBytes ? [index] : [],
        );
        expect(tooLarge.map((f) => f.index)).toEqual(expected);
        for (const failure of tooLarge) {
          expect(failure.code).toBe('too_large');
          expect(failure.id).toBe(records[failure.index]!.id);
        }
      }),
    );
  });

  it('returns full batches: each batch but the last was closed only because the next record did not fit', () => {
    fc.assert(
      fc.property(recordsArb, limitsArb, (records, limits) => {
        const { batches } = chunkRecords(records, limits);

        for (let i = 0; i + 1 < batches.length; i++) {
          const batch = batches[i]!;
          const next = batches[i + 1]!.data[0]!;
          const full =
            batch.data.length === limits.maxRecords || batch.bytes + next.byteLength > limits.maxBatchBytes;
          expect(full).toBe(true);
        }
      }),
    );
  });

  it('returns a record of exactly 1,024,000 bytes accepted and one of 1,024,001 rejected', () => {
    // Prepare
    const records = [recordOfSize(1_024_000, 'fits'), recordOfSize(1_024_001, 'over')];

    // Act
    const { batches, tooLarge } = chunkRecords(records);

    // Assess
    expect(batches.map((b) => b.indexes)).toEqual([[0]]);
    expect(tooLarge).toEqual([expect.objectContaining({ index: 1, id: 'over', code: 'too_large' })]);
  });

  it('returns 500 records in one batch and the 501st in a second', () => {
    const records = Array.from({ length: 501 }, (_, i) => record(`{"n":${i}}`, String(i)));

    const { batches, tooLarge } = chunkRecords(records);

    expect(batches.map((b) => b.indexes.length)).toEqual([500, 1]);
    expect(batches[1]!.indexes).toEqual([500]);
    expect(tooLarge).toEqual([]);
  });

  it('returns one batch at exactly 4 MiB and splits when one more byte is added', () => {
    // Prepare: four records at the per-record maximum plus one that tops the batch up to 4 MiB exactly.
    const big = Array.from({ length: 4 }, () => recordOfSize(FIREHOSE_LIMITS.maxRecordBytes));
    const rest = 4 * 1024 * 1024 - 4 * FIREHOSE_LIMITS.maxRecordBytes;

    // Act
    const exact = chunkRecords([...big, recordOfSize(rest)]);
    const over = chunkRecords([...big, recordOfSize(rest + 1)]);

    // Assess
    expect(exact.batches.map((b) => b.bytes)).toEqual([4 * 1024 * 1024]);
    expect(over.batches.map((b) => b.indexes)).toEqual([[0, 1, 2, 3], [4]]);
  });

  it('returns no batches for no records', () => {
    expect(chunkRecords([])).toEqual({ batches: [], tooLarge: [] });
  });

  it('throws on limits that would let a single accepted record break the batch limit', () => {
    expect(() => chunkRecords([], { maxRecords: 10, maxRecordBytes: 100, maxBatchBytes: 99 })).toThrow(
      RangeError,
    );
  });
});
