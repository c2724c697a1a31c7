import type { FeedbackStore, VariantCounters } from '../ports/feedback-store.ts';
import type { Deployment } from '../ports/publication-store.ts';
import { NAME_PATTERN, parseRecommendationId } from './recommendation-id.ts';
import { compareProportions, rate } from './statistics.ts';

export interface VariantReport {
  variant: string;
  modelVersion: string | null;
  weight: number | null;
  exposures: number;
  clicks: number;
  conversions: number;
  ctr: number;
  conversionRate: number;
  /** Against the control's CTR; null for the control itself or when the control has no clicks. */
  lift: number | null;
  /** 95% interval of the CTR difference (variant − control); null for the control. */
  confidenceInterval: { low: number; high: number; confidence: number } | null;
  /** Two-proportion z-test of CTR against the control. */
  pValue: number | null;
  conversionLift: number | null;
  conversionPValue: number | null;
}

export interface ExperimentReport {
  name: string;
  status: 'running' | 'ended';
  startedAt: string | null;
  control: string;
  variants: VariantReport[];
}

/** The readout of one experiment; undefined when it is neither running nor has any counters. */
export function experimentReport(
  name: string,
  deployment: Deployment | undefined,
  counters: readonly VariantCounters[],
): ExperimentReport | undefined {
  const running = deployment?.experiment?.name === name ? deployment.experiment : undefined;
  if (running === undefined && counters.length === 0) return undefined;
  const names = [
    ...(running?.variants.map((v) => v.name) ?? []),
    ...counters.map((c) => c.variant).filter((v) => !running?.variants.some((x) => x.name === v)),
  ];
  const control = names.includes('champion') ? 'champion' : names[0]!;
  const countsOf = (v: string) =>
    counters.find((c) => c.variant === v) ?? { variant: v, exposures: 0, clicks: 0, conversions: 0 };
  const base = countsOf(control);
  const variants = names.map((v): VariantReport => {
    const c = countsOf(v);
    const def = running?.variants.find((x) => x.name === v);
    const isControl = v === control;
    const ctr = compareProportions(
      { successes: base.clicks, trials: base.exposures },
      { successes: c.clicks, trials: c.exposures },
    );
    const conv = compareProportions(
      { successes: base.conversions, trials: base.exposures },
      { successes: c.conversions, trials: c.exposures },
    );
    const finite = (i: typeof ctr.interval) => (Number.isFinite(i.low) ? i : null);
    return {
      variant: v,
      modelVersion: def?.modelVersion ?? null,
      weight: def?.weight ?? null,
      exposures: c.exposures,
      clicks: c.clicks,
      conversions: c.conversions,
      ctr: rate({ successes: Math.min(c.clicks, c.exposures), trials: c.exposures }),
      conversionRate: rate({ successes: Math.min(c.conversions, c.exposures), trials: c.exposures }),
      lift: isControl ? null : ctr.lift,
      confidenceInterval: isControl ? null : finite(ctr.interval),
      pValue: isControl ? null : ctr.pValue,
      conversionLift: isControl ? null : conv.lift,
      conversionPValue: isControl ? null : conv.pValue,
    };
  });
  return {
    name,
    status: running !== undefined ? 'running' : 'ended',
    startedAt: running?.startedAt ?? null,
    control,
    variants,
  };
}

/** A request that does not fit the deployment record (no champion, an experiment already running …). */
export class ExperimentStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExperimentStateError';
  }
}

/** The next deployment record with `name` running: the champion against `challenger` at `weight`. */
export function startExperiment(
  current: Deployment | undefined,
  options: { name: string; challenger: string; weight: number; now: Date },
): Deployment {
  if (!NAME_PATTERN.test(options.name))
    throw new ExperimentStateError(`experiment name "${options.name}" must match ${NAME_PATTERN}`);
  if (!(options.weight > 0 && options.weight < 1))
    throw new ExperimentStateError(`--weight must be between 0 and 1 (exclusive), got ${options.weight}`);
  if (current === undefined)
    throw new ExperimentStateError('there is no deployment record yet: activate a champion first');
  if (current.experiment !== undefined)
    throw new ExperimentStateError(
      `experiment "${current.experiment.name}" is running: promote or stop it first`,
    );
  if (options.challenger === current.champion)
    throw new ExperimentStateError(`${options.challenger} is the champion already`);
  return {
    ...current,
    revision: current.revision + 1,
    experiment: {
      name: options.name,
      startedAt: options.now.toISOString(),
      variants: [
        { name: 'champion', modelVersion: current.champion, weight: 1 - options.weight },
        { name: 'challenger', modelVersion: options.challenger, weight: options.weight },
      ],
    },
    updatedAt: options.now.toISOString(),
    reason: `experiment ${options.name} started: ${options.challenger} at ${options.weight}`,
  };
}

function running(current: Deployment | undefined, name: string) {
  if (current?.experiment?.name !== name)
    throw new ExperimentStateError(
      `experiment "${name}" is not running${current?.experiment !== undefined ? ` ("${current.experiment.name}" is)` : ''}`,
    );
  return { current, experiment: current.experiment };
}

/** The challenger becomes the champion (the old one kept for rollback); the experiment ends. */
export function promoteExperiment(current: Deployment | undefined, name: string, now: Date): Deployment {
  const { current: d, experiment } = running(current, name);
  const challenger = experiment.variants.find((v) => v.name !== 'champion');
  if (challenger === undefined) throw new ExperimentStateError(`experiment "${name}" has no challenger`);
  const { experiment: _ended, ...rest } = d;
  return {
    ...rest,
    revision: d.revision + 1,
    champion: challenger.modelVersion,
    previousChampion: d.champion,
    updatedAt: now.toISOString(),
    reason: `experiment ${name} promoted ${challenger.modelVersion}`,
  };
}

/** The experiment ends; the champion keeps serving everyone. */
export function stopExperiment(current: Deployment | undefined, name: string, now: Date): Deployment {
  const { current: d } = running(current, name);
  const { experiment: _ended, ...rest } = d;
  return {
    ...rest,
    revision: d.revision + 1,
    updatedAt: now.toISOString(),
    reason: `experiment ${name} stopped`,
  };
}

/** One key per list, whichever of serving and feedback counts the exposure first. */
export function exposureKey(experiment: string, recommendationId: string): string {
  return `exposure#${experiment}#${recommendationId}`;
}

/**
 * A list served inside an experiment is one exposure of the variant that served it (named in its
 * recommendationId), counted once per recommendationId: feedback on the list later finds the key taken.
 */
export async function recordExposure(feedback: FeedbackStore, recommendationId: string): Promise<void> {
  const parsed = parseRecommendationId(recommendationId);
  if (parsed === undefined) return;
  const key = exposureKey(parsed.experiment, recommendationId);
  if (!(await feedback.recordOnce(key))) return;
  try {
    await feedback.incrementCounters(parsed.experiment, parsed.variant, { exposures: 1 });
  } catch (error) {
    // Not counted: leave the key free so that feedback on the list can still count it.
    await feedback.release(key).catch(() => {});
    throw error;
  }
}
