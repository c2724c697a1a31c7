import { describe, expect, it } from 'vitest';
import { leaveLastNSplit, randomSplit, temporalSplit } from '../../../shared/evaluation/splits.ts';
import { formatValidation, mirrorValidation, parseValidation } from '../../../shared/training/validation.ts';
import { plantedRecords } from '../../fixtures/training-data.ts';

describe('mirrorValidation', () => {
  const records = plantedRecords();
  const times = records.map((r) => Number(r.timestamp)).sort((a, b) => a - b);
  const newest = times[times.length - 1]!;

  it('returns temporal over the test horizon in days for a global time cut', () => {
    const cut = newest - 10 * 86_400_000;
    const { train, test } = temporalSplit(records, cut);
    const horizon = Math.round(
      (Math.max(...test.map((r) => Number(r.timestamp))) -
        Math.min(...test.map((r) => Number(r.timestamp)))) /
        86_400_000,
    );
    const m = mirrorValidation(train, test);
    expect(m.protocol).toEqual({ kind: 'temporal', days: horizon });
    expect(m.reason).toBe(`the test is a global time cut (${horizon} days after the training part)`);
  });

  it('returns temporal over half the training span when the test horizon is longer', () => {
    const oldest = times[0]!;
    // Training: the first 4 days; test: everything after (much longer).
    const { train, test } = temporalSplit(records, oldest + 4 * 86_400_000);
    const trainDays = (Math.max(...train.map((r) => Number(r.timestamp))) - oldest) / 86_400_000;
    const m = mirrorValidation(train, test);
    expect(m.protocol).toEqual({ kind: 'temporal', days: Math.max(1, Math.round(trainDays / 2)) });
    expect(m.reason).toMatch(
      /days after the training part; validated on the last \d+, half the training span\)$/,
    );
  });

  it("returns leave-last with the test's share of the pairs when each shopper's test follows his training", () => {
    // Shoppers' timelines staggered by a day each: the held-out last two are not one global cut.
    const staggered = records.map((r) => ({
      ...r,
      timestamp: Number(r.timestamp) - Number(r.userId.slice(1)) * 86_400_000,
    }));
    const { train, test } = leaveLastNSplit(staggered, 2);
    const pairs = (rs: typeof staggered) => new Set(rs.map((r) => `${r.userId}/${r.itemId}`)).size;
    const share = Math.round((pairs(test) / (pairs(train) + pairs(test))) * 100) / 100;
    const m = mirrorValidation(train, test);
    expect(m.protocol).toEqual({ kind: 'leave-last', share });
    expect(m.reason).toBe("each shopper's test comes after his training (80 of 80 shoppers)");
  });

  it('returns random with the seed for a hold-out across time, and its text parses back', () => {
    const { train, test } = randomSplit(records, 0.75, 42);
    const m = mirrorValidation(train, test, 9);
    expect(m.protocol).toMatchObject({ kind: 'random', seed: 9 });
    expect(m.protocol.kind === 'random' && m.protocol.share).toBeCloseTo(0.25, 1);
    expect(m.reason).toMatch(/^the test is held out across time \(\d+ of 80 shoppers have test items older/);
    expect(parseValidation(formatValidation(m.protocol), 9)).toEqual(m.protocol);
  });
});
