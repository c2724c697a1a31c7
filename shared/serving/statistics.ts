/**
 * The arithmetic of an A/B readout: click-through (or conversion) proportions per variant, the lift of a variant
 * over the control, a confidence interval for the difference and the two-sided p-value of a two-proportion
 * z-test. Pure numbers, no I/O; checked against values from Python's math.erfc in tests/unit/serving.
 */

/**
 * erfc with fractional error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit): good to the digits a
 * p-value is ever quoted to, and free of the cancellation 1 − erf(x) suffers in the tail.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const c = [
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
    -0.82215223, 0.17087277,
  ];
  let poly = 0;
  for (let i = c.length - 1; i >= 0; i--) poly = c[i]! + t * poly;
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/** Φ(x), the standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * Φ⁻¹(p) by Acklam's rational approximation (relative error < 1.2e-9), for the z of a confidence level.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

export interface Proportion {
  /** Successes (clicks, conversions). */
  successes: number;
  /** Trials (exposures). */
  trials: number;
}

export interface Comparison {
  /** Rate of the control and of the treatment. */
  controlRate: number;
  treatmentRate: number;
  /** treatment − control. */
  difference: number;
  /** (treatment − control) / control; null when the control rate is 0. */
  lift: number | null;
  /** Unpooled (Wald) interval for the difference at `confidence`. */
  interval: { low: number; high: number; confidence: number };
  /** Pooled two-proportion z statistic; null when undefined (no trials, or no variance at all). */
  z: number | null;
  /** Two-sided p-value of H0: equal rates; null when z is. */
  pValue: number | null;
}

export function rate(p: Proportion): number {
  return p.trials > 0 ? p.successes / p.trials : 0;
}

/**
 * Compares a treatment with the control. The test pools the rates (the null says they are equal); the interval
 * does not (it describes the difference as it is). Successes above trials are clamped: a click reported without
 * its impression must not produce a rate above one.
 */
export function compareProportions(
  control: Proportion,
  treatment: Proportion,
  confidence = 0.95,
): Comparison {
  const n1 = control.trials;
  const n2 = treatment.trials;
  const x1 = Math.min(control.successes, n1);
  const x2 = Math.min(treatment.successes, n2);
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const difference = p2 - p1;
  const zc = normalQuantile(1 - (1 - confidence) / 2);
  const se = n1 > 0 && n2 > 0 ? Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2) : Number.NaN;
  const interval = Number.isFinite(se)
    ? { low: difference - zc * se, high: difference + zc * se, confidence }
    : { low: Number.NaN, high: Number.NaN, confidence };
  let z: number | null = null;
  let pValue: number | null = null;
  if (n1 > 0 && n2 > 0) {
    const pooled = (x1 + x2) / (n1 + n2);
    const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
    if (sePooled > 0) {
      z = difference / sePooled;
      pValue = Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
    }
  }
  return {
    controlRate: p1,
    treatmentRate: p2,
    difference,
    lift: p1 > 0 ? difference / p1 : null,
    interval,
    z,
    pValue,
  };
}
