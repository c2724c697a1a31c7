import { describe, expect, it } from 'vitest';
import {
  createImpressionRecorder,
  impressionSampleRate,
  type ServedList,
} from '../../../shared/live/impressions.ts';
import type { RecordSink, SinkRecord } from '../../../shared/ports/record-sink.ts';

const list = (n: number): ServedList => ({
  recommendationId: `r${n}`,
  list: 'user',
  shopper: `u:${n}`,
  variant: 'champion',
  modelVersion: 'v1',
  items: ['i1', 'i2'],
});

function collectingSink(fail = false) {
  const puts: SinkRecord[][] = [];
  const sink: RecordSink = {
    async put(records) {
      puts.push([...records]);
      if (fail) throw new Error('lake down');
      return { failed: [] };
    },
    async close() {},
  };
  return { sink, puts };
}

describe('Function: createImpressionRecorder', () => {
  it('returns at once in the background and puts the lists in one batch, as compact JSON lines', async () => {
    // Prepare
    const { sink, puts } = collectingSink();
    const recorder = createImpressionRecorder({
      sink,
      sampleRate: 1,
      mode: 'background',
      batchDelayMs: 10_000,
      now: () => Date.parse('2026-03-01T00:00:00Z'),
    });

    // Act
    for (let n = 0; n < 3; n++) await recorder.record(list(n));
    const beforeFlush = puts.length;
    await recorder.flush();

    // Assess
    expect(beforeFlush).toBe(0);
    expect(puts).toHaveLength(1);
    expect(puts[0]!.map((r) => r.id)).toEqual(['r0', 'r1', 'r2']);
    expect(JSON.parse(puts[0]![1]!.json)).toEqual({
      recommendationId: 'r1',
      list: 'user',
      shopper: 'u:1',
      variant: 'champion',
      modelVersion: 'v1',
      items: ['i1', 'i2'],
      timestamp: '2026-03-01T00:00:00.000Z',
      sampleRate: 1,
    });
  });

  it('returns after the sink has the list inline, and reports a failing sink instead of throwing', async () => {
    // Prepare
    const { sink, puts } = collectingSink(true);
    const errors: string[] = [];
    const recorder = createImpressionRecorder({
      sink,
      sampleRate: 1,
      mode: 'inline',
      onError: (m) => errors.push(m),
    });

    // Act
    await recorder.record(list(1));

    // Assess
    expect(puts).toHaveLength(1);
    expect(errors).toEqual(['1 impressions were not recorded']);
  });

  it('keeps the share of lists the sample rate says', async () => {
    // Prepare
    const { sink, puts } = collectingSink();
    const draws = [0.1, 0.5, 0.29, 0.9];
    const recorder = createImpressionRecorder({
      sink,
      sampleRate: 0.3,
      mode: 'inline',
      random: () => draws.shift()!,
    });

    // Act
    for (let n = 0; n < 4; n++) await recorder.record(list(n));

    // Assess
    expect(puts.flat().map((r) => r.id)).toEqual(['r0', 'r2']);
    expect(JSON.parse(puts[0]![0]!.json).sampleRate).toBe(0.3);
  });
});

describe('Function: impressionSampleRate', () => {
  it('returns 1 when unset and the number given, and throws naming the setting otherwise', () => {
    expect(impressionSampleRate(undefined)).toBe(1);
    expect(impressionSampleRate('0.25')).toBe(0.25);
    expect(() => impressionSampleRate('2')).toThrow(
      /RECSYS_IMPRESSION_SAMPLE_RATE must be a number from 0 to 1, got "2"/,
    );
    expect(() => impressionSampleRate('all')).toThrow(/RECSYS_IMPRESSION_SAMPLE_RATE/);
  });
});
