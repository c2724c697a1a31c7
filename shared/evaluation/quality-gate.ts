import { z } from 'zod';
import type { GateMetrics } from './holdout.ts';
import type { Metrics } from './metrics.ts';

export type GateMetricName = 'precision' | 'recall' | 'ndcg' | 'map' | 'mrr' | 'hitRate' | 'coverage';

/** One stage's rules. Margins and tolerances are relative (0.05 = 5 %). */
export interface GatePolicy {
  k: number;
  /** The metric compared with the baseline and the champion. */
  primary: GateMetricName;
  /** Absolute floors on the candidate's metrics at k. */
  minimum: Partial<Record<GateMetricName, number>>;
  /** Fewer held-out users than this and the metrics say nothing: fail. */
  minUsers: number;
  /** candidate.primary ≥ baseline.primary × (1 + baselineMargin). */
  baselineMargin: number;
  /** candidate.primary ≥ champion.primary × (1 − championTolerance). */
  championTolerance: number;
}

export interface StageConfig {
  gate: GatePolicy;
  /** Approved at registration (publish + activate at once) or PendingManualApproval (a person approves). */
  autoApprove: boolean;
}

/**
 * The stages' policies. Development stages only ask for a model that beats popularity at all; prod wants a
 * clear lift and no regression, and a person to approve. Unknown stages get `default`. A local retrain applies these;
 * a deployed stage applies its serverless.yml params (stageConfigFromEnvironment), which start out equal to them.
 */
const STAGES: Record<string, StageConfig> = {
  default: {
    autoApprove: true,
    gate: {
      k: 10,
      primary: 'ndcg',
      minimum: { ndcg: 0.005, hitRate: 0.01 },
      minUsers: 20,
      baselineMargin: 0,
      championTolerance: 0.1,
    },
  },
  staging: {
    autoApprove: true,
    gate: {
      k: 10,
      primary: 'ndcg',
      minimum: { ndcg: 0.01, hitRate: 0.02, coverage: 0.01 },
      minUsers: 50,
      baselineMargin: 0.05,
      championTolerance: 0.05,
    },
  },
  prod: {
    autoApprove: false,
    gate: {
      k: 10,
      primary: 'ndcg',
      minimum: { ndcg: 0.02, hitRate: 0.05, coverage: 0.02 },
      minUsers: 200,
      baselineMargin: 0.1,
      championTolerance: 0.02,
    },
  },
};

export function stageConfig(stage: string): StageConfig {
  return STAGES[stage] ?? (STAGES.default as StageConfig);
}

const ratio = z.number().min(0).max(1);
/** A deployed stage's policy (serverless.yml params → RECSYS_GATE_POLICY): k and the primary metric stay the code's. */
const DeployedPolicy = z.strictObject({
  minUsers: z.number().int().min(1),
  baselineMargin: z.number().min(0),
  championTolerance: ratio,
  minimum: z.partialRecord(
    z.enum(['precision', 'recall', 'ndcg', 'map', 'mrr', 'hitRate', 'coverage']),
    ratio,
  ),
  autoApprove: z.boolean(),
});

/**
 * The stage policy a deployed Evaluate function applies: RECSYS_GATE_POLICY (JSON, set from the stage's params) over
 * the named stage's defaults above; without it, the defaults alone (a local retrain). A malformed policy throws,
 * naming the field, so the function fails at cold start rather than gating with a policy nobody set.
 */
export function stageConfigFromEnvironment(env: NodeJS.ProcessEnv): (stage: string) => StageConfig {
  const text = env.RECSYS_GATE_POLICY;
  if (text === undefined || text === '') return stageConfig;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`RECSYS_GATE_POLICY is not JSON: ${(error as Error).message}`);
  }
  const parsed = DeployedPolicy.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`RECSYS_GATE_POLICY is invalid: ${issues.join('; ')}`);
  }
  const { autoApprove, ...gate } = parsed.data;
  return (stage) => {
    const base = stageConfig(stage);
    return { autoApprove, gate: { ...base.gate, ...gate } };
  };
}

export interface GateCheck {
  name: string;
  passed: boolean;
  message: string;
}

export interface GateDecision {
  passed: boolean;
  /** One line per check, failed ones first: what was required and what was measured. */
  reasons: string[];
  checks: GateCheck[];
}

export interface GateInput {
  /** The candidate's and the popularity baseline's metrics on the candidate's holdout (gateMetricsFromHoldout). */
  candidate: GateMetrics;
  /** The champion's recorded metrics at the same k (`model.<name>` keys), when there is one. */
  champion?: { version: string; metrics: Record<string, number> };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

/**
 * The quality gate: pure, every check evaluated (not just the first failing one) so the registry records the
 * whole picture. The champion's metrics come from its own holdout (an earlier window of data): comparing them
 * is the registry's best knowledge, which is why the tolerance exists.
 */
export function decideGate(input: GateInput, policy: GatePolicy): GateDecision {
  const { candidate } = input;
  const checks: GateCheck[] = [];
  if (candidate.k !== policy.k)
    throw new Error(`gate metrics are at k=${candidate.k} but the policy wants k=${policy.k}`);
  const m: Metrics = candidate.model;
  const b: Metrics = candidate.baseline;
  checks.push({
    name: 'users',
    passed: candidate.users >= policy.minUsers,
    message: `${candidate.users} held-out users (at least ${policy.minUsers} required)`,
  });
  for (const [name, floor] of Object.entries(policy.minimum) as [GateMetricName, number][]) {
    const value = m[name];
    checks.push({
      name: `minimum.${name}`,
      passed: Number.isFinite(value) && value >= floor,
      message: `${name}@${policy.k} ${fmt(value)} (at least ${fmt(floor)} required)`,
    });
  }
  const p = policy.primary;
  const needBaseline = b[p] * (1 + policy.baselineMargin);
  checks.push({
    name: 'baseline',
    passed: m[p] >= needBaseline,
    message: `${p}@${policy.k} ${fmt(m[p])} vs popularity ${fmt(b[p])} (at least ${fmt(needBaseline)}: +${(policy.baselineMargin * 100).toFixed(1)} %)`,
  });
  const champion = input.champion;
  const championValue = champion?.metrics[`model.${p}`];
  if (champion === undefined || championValue === undefined) {
    checks.push({
      name: 'champion',
      passed: true,
      message: 'no champion to compare with (first approved version)',
    });
  } else {
    const floor = championValue * (1 - policy.championTolerance);
    checks.push({
      name: 'champion',
      passed: m[p] >= floor,
      message: `${p}@${policy.k} ${fmt(m[p])} vs champion ${champion.version} ${fmt(championValue)} (at least ${fmt(floor)}: −${(policy.championTolerance * 100).toFixed(1)} % tolerated)`,
    });
  }
  const passed = checks.every((c) => c.passed);
  const reasons = [...checks.filter((c) => !c.passed), ...checks.filter((c) => c.passed)].map(
    (c) => `${c.passed ? 'ok' : 'FAILED'} ${c.name}: ${c.message}`,
  );
  return { passed, reasons, checks };
}

/** The flat metric map recorded in the registry: `model.<name>` and `baseline.<name>`. */
export function flatMetrics(g: GateMetrics): Record<string, number> {
  const out: Record<string, number> = { k: g.k, users: g.users };
  for (const [prefix, ms] of [
    ['model', g.model],
    ['baseline', g.baseline],
  ] as const)
    for (const [name, v] of Object.entries(ms))
      if (typeof v === 'number' && name !== 'users' && name !== 'k') out[`${prefix}.${name}`] = v;
  return out;
}
