import { describe, expect, it } from 'vitest';
import type { GateMetrics } from '../../../shared/evaluation/holdout.ts';
import type { Metrics } from '../../../shared/evaluation/metrics.ts';
import {
  decideGate,
  flatMetrics,
  type GatePolicy,
  stageConfig,
} from '../../../shared/evaluation/quality-gate.ts';

const policy: GatePolicy = {
  k: 10,
  primary: 'ndcg',
  minimum: { ndcg: 0.05, hitRate: 0.1 },
  minUsers: 20,
  baselineMargin: 0.1,
  championTolerance: 0.05,
};

function metrics(ndcg: number, hitRate = 0.3): Metrics {
  return {
    k: 10,
    users: 100,
    precision: 0.05,
    recall: 0.1,
    ndcg,
    map: 0.05,
    mrr: 0.1,
    hitRate,
    coverage: 0.2,
  };
}
function gate(model: number, baseline: number, users = 100): GateMetrics {
  return { k: 10, users, model: metrics(model), baseline: metrics(baseline) };
}

describe('Function: decideGate', () => {
  it('returns passed with every check listed when thresholds, baseline margin and champion tolerance hold', () => {
    // Act
    const d = decideGate(
      { candidate: gate(0.2, 0.1), champion: { version: 'v1', metrics: { 'model.ndcg': 0.205 } } },
      policy,
    );

    // Assess
    expect(d.passed).toBe(true);
    expect(d.checks.map((c) => c.name)).toEqual([
      'users',
      'minimum.ndcg',
      'minimum.hitRate',
      'baseline',
      'champion',
    ]);
    expect(d.reasons.every((r) => r.startsWith('ok '))).toBe(true);
  });

  it('returns failed with the baseline reason first when the lift is below the margin', () => {
    // Act
    const d = decideGate({ candidate: gate(0.105, 0.1) }, policy);

    // Assess
    expect(d.passed).toBe(false);
    expect(d.reasons[0]).toMatch(
      /^FAILED baseline: ndcg@10 0\.1050 vs popularity 0\.1000 \(at least 0\.1100/,
    );
  });

  it('returns failed when the candidate regresses against the champion beyond the tolerance', () => {
    // Act
    const d = decideGate(
      { candidate: gate(0.2, 0.1), champion: { version: 'v7', metrics: { 'model.ndcg': 0.25 } } },
      policy,
    );

    // Assess
    expect(d.passed).toBe(false);
    expect(d.reasons[0]).toMatch(/FAILED champion: .*champion v7 0\.2500 \(at least 0\.2375/);
  });

  it('returns failed for an absolute floor, for too few users, and for NaN metrics, listing every failure', () => {
    // Act
    const d = decideGate(
      { candidate: { k: 10, users: 5, model: metrics(Number.NaN, 0.01), baseline: metrics(0) } },
      policy,
    );

    // Assess
    expect(d.passed).toBe(false);
    expect(d.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual([
      'users',
      'minimum.ndcg',
      'minimum.hitRate',
      'baseline',
    ]);
  });

  it('returns passed with "no champion" when none is approved yet', () => {
    // Act
    const d = decideGate({ candidate: gate(0.2, 0.1) }, policy);

    // Assess
    expect(d.reasons).toContain('ok champion: no champion to compare with (first approved version)');
  });

  it('throws when the metrics were computed at another k than the policy’s', () => {
    // Act / Assess
    expect(() => decideGate({ candidate: { ...gate(0.2, 0.1), k: 20 } }, policy)).toThrow(/k=20.*k=10/);
  });
});

describe('Function: stageConfig / flatMetrics', () => {
  it('returns prod as manual approval with the strictest margin, unknown stages as default', () => {
    expect(stageConfig('prod').autoApprove).toBe(false);
    expect(stageConfig('prod').gate.baselineMargin).toBeGreaterThan(
      stageConfig('staging').gate.baselineMargin,
    );
    expect(stageConfig('my-branch')).toBe(stageConfig('default'));
  });

  it('returns model.* and baseline.* keys', () => {
    expect(flatMetrics(gate(0.2, 0.1))).toMatchObject({
      k: 10,
      users: 100,
      'model.ndcg': 0.2,
      'baseline.ndcg': 0.1,
    });
  });
});
