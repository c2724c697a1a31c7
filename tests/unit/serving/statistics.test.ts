import { describe, expect, it } from 'vitest';
import { compareProportions, normalCdf, normalQuantile } from '../../../shared/serving/statistics.ts';

// Reference values from Python: math.erfc, and the textbook formulas evaluated in double precision.
describe('Function: compareProportions', () => {
  it('returns z, p-value and the 95% interval of 100/1000 vs 130/1000 as computed independently', () => {
    // Act
    const c = compareProportions({ successes: 100, trials: 1000 }, { successes: 130, trials: 1000 });

    // Assess
    expect(c.z).toBeCloseTo(2.102740605622114, 9);
    expect(c.pValue).toBeCloseTo(0.03548845046647473, 6);
    expect(c.interval.low).toBeCloseTo(0.0020679344393763656, 7);
    expect(c.interval.high).toBeCloseTo(0.057932065560623636, 7);
    expect(c.lift).toBeCloseTo(0.3, 12);
  });

  it('returns p = 0.0171 for 200/10000 vs 250/10000 and p = 1 for equal rates', () => {
    // Act
    const a = compareProportions({ successes: 200, trials: 10_000 }, { successes: 250, trials: 10_000 });
    const same = compareProportions({ successes: 50, trials: 500 }, { successes: 50, trials: 500 });

    // Assess
    expect(a.z).toBeCloseTo(2.3839951328405053, 9);
    expect(a.pValue).toBeCloseTo(0.01712582887219502, 6);
    expect(same.pValue).toBeCloseTo(1, 6);
    expect(same.interval.high).toBeCloseTo(0.03718770193827369, 7);
  });

  it('returns null statistics when a variant has no exposures or nothing varies', () => {
    // Act
    const empty = compareProportions({ successes: 0, trials: 0 }, { successes: 3, trials: 10 });
    const flat = compareProportions({ successes: 0, trials: 10 }, { successes: 0, trials: 10 });

    // Assess
    expect(empty.pValue).toBeNull();
    expect(empty.lift).toBeNull();
    expect(flat.z).toBeNull();
  });
});

describe('Function: normalCdf / normalQuantile', () => {
  it('returns Φ(1) = 0.841345, Φ(-2.5) = 0.00621 and Φ⁻¹(0.975) = 1.959964', () => {
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 6);
    expect(normalCdf(-2.5)).toBeCloseTo(0.006209665325776139, 7);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 7);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.5758293035489, 7);
  });
});
