import { describe, expect, it } from 'vitest';
import { topKExcluding } from '../../../shared/model/topk.ts';

/** Rows of a user × item history as a CSR (row 0: items 1 and 3; row 1: nothing; row 2: every item). */
const history = {
  indptr: Int32Array.from([0, 2, 2, 6]),
  indices: Int32Array.from([1, 3, 0, 1, 2, 3]),
};

function top(scores: number[], row: number, k: number, exclude?: (j: number) => boolean) {
  const idx = new Int32Array(Math.max(k, 0));
  const sc = new Float64Array(Math.max(k, 0));
  const s = Float64Array.from(scores);
  const got = topKExcluding(s, history, row, k, idx, sc, exclude);
  return { items: Array.from(idx.subarray(0, got)), scores: Array.from(sc.subarray(0, got)), masked: s };
}

describe('topKExcluding', () => {
  it("leaves out the row's items and returns the rest best first", () => {
    expect(top([0.5, 0.9, 0.7, 0.8], 0, 2)).toMatchObject({ items: [2, 0], scores: [0.7, 0.5] });
  });

  it('breaks ties by the lower index, whatever the order they arrive in', () => {
    expect(top([0.5, 0.1, 0.5, 0.2, 0.5], 0, 2).items).toEqual([0, 2]);
    expect(top([0.5, 0.1, 0.5, 0.2, 0.5], 1, 4).items).toEqual([0, 2, 4, 3]);
    expect(top([1, 1, 1, 1], 1, 3).items).toEqual([0, 1, 2]);
  });

  it('returns every candidate when k is larger than the catalog', () => {
    expect(top([0.3, 0.1, 0.2, 0.4], 0, 10)).toMatchObject({ items: [0, 2], scores: [0.3, 0.2] });
    expect(top([0.3, 0.1, 0.2, 0.4], 1, 10).items).toEqual([3, 0, 2, 1]);
  });

  it('returns nothing when everything is excluded, by the row or by the callback', () => {
    expect(top([0.3, 0.1, 0.2, 0.4], 2, 3).items).toEqual([]);
    expect(top([0.3, 0.1, 0.2, 0.4], 0, 3, (j) => j === 0 || j === 2).items).toEqual([]);
  });

  it('masks nothing for a negative row, and nothing for k = 0', () => {
    expect(top([0.3, 0.1, 0.2, 0.4], -1, 2).items).toEqual([3, 0]);
    expect(top([0.3, 0.1, 0.2, 0.4], 0, 0).items).toEqual([]);
  });

  it('skips scores that are no candidates (NaN, −∞) and marks the masked slots NaN in the caller’s buffer', () => {
    const r = top([Number.NaN, 0.2, Number.NEGATIVE_INFINITY, 0.1], 0, 4);
    expect(r.items).toEqual([]);
    expect(Number.isNaN(r.masked[1]!) && Number.isNaN(r.masked[3]!)).toBe(true);
    expect(top([Number.NaN, 0.2, Number.NEGATIVE_INFINITY, 0.1], 1, 4).items).toEqual([1, 3]);
  });
});
