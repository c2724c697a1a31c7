import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { CounterDelta } from '../ports/feedback-store.ts';
import type { Served } from '../serving/recommender.ts';
import { metrics } from './observability.ts';

/**
 * The custom metrics the Lambda functions emit as CloudWatch EMF (namespace POWERTOOLS_METRICS_NAMESPACE, one per
 * stage; every metric carries the `service` dimension). resources/monitoring.yml and monitoring-alarms.cjs alarm on
 * and graph these names; tests/integration/monitoring.test.ts holds the two to each other. Only the Lambda entries
 * record them (their handler factories get `metrics: true`): the local server and CLI never print EMF.
 */
export const METRIC = {
  /** POST /v1/events: events taken by the lake, refused as invalid (400 details), and not taken now (503). */
  eventsAccepted: 'EventsAccepted',
  eventsRejected: 'EventsRejected',
  eventsRefused: 'EventsRefused',
  /** Personal and session answers, by `source` (precomputed, fold-in, fallback) and by `variant`. */
  served: 'RecommendationsServed',
  /** 1 for a fallback answer, 0 for any other: its average is the fallback rate. */
  fallback: 'Fallback',
  /** Handler time per API route (`route` dimension), in milliseconds. */
  latency: 'Latency',
  /** Per experiment `variant`: lists exposed (served, or first seen in feedback), clicked, converted. */
  exposures: 'Exposures',
  clicks: 'Clicks',
  conversions: 'Conversions',
  /** The Evaluate task's gate decision, by `status` (Approved, PendingManualApproval, Rejected). */
  gateOutcome: 'GateOutcome',
  /** The Activate task: a version became the champion, and the seconds since its execution started. */
  modelActivated: 'ModelActivated',
  retrainDuration: 'RetrainDuration',
} as const;

/** Emitted at once as its own EMF record: a dimension that only this data point has. */
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

function single(name: string, unit: Unit, value: number, dimensions: Record<string, string>): void {
  const m = metrics.singleMetric();
  for (const [key, v] of Object.entries(dimensions)) m.addDimension(key, v);
  m.addMetric(name, unit, value);
}

/** The outcome of one ingestion call (buffered: published when the invocation ends). */
export function recordIngest(result: {
  accepted: number;
  rejected: unknown[];
  unavailable: unknown[];
}): void {
  metrics.addMetric(METRIC.eventsAccepted, MetricUnit.Count, result.accepted);
  metrics.addMetric(METRIC.eventsRejected, MetricUnit.Count, result.rejected.length);
  metrics.addMetric(METRIC.eventsRefused, MetricUnit.Count, result.unavailable.length);
}

/** One personal or session answer: its source, its variant, an exposure when it is part of an experiment. */
export function recordServed(served: Served): void {
  metrics.addMetric(METRIC.fallback, MetricUnit.Count, served.source === 'fallback' ? 1 : 0);
  single(METRIC.served, MetricUnit.Count, 1, { source: served.source });
  single(METRIC.served, MetricUnit.Count, 1, { variant: served.variant });
  if (served.experiment !== undefined)
    single(METRIC.exposures, MetricUnit.Count, 1, { variant: served.variant });
}

/** What one feedback added to its variant's counters. */
export function recordCounted(variant: string, delta: CounterDelta): void {
  if (delta.exposures) single(METRIC.exposures, MetricUnit.Count, delta.exposures, { variant });
  if (delta.clicks) single(METRIC.clicks, MetricUnit.Count, delta.clicks, { variant });
  if (delta.conversions) single(METRIC.conversions, MetricUnit.Count, delta.conversions, { variant });
}

export function recordLatency(route: string, milliseconds: number): void {
  single(METRIC.latency, MetricUnit.Milliseconds, milliseconds, { route });
}

export function recordGateOutcome(status: string): void {
  single(METRIC.gateOutcome, MetricUnit.Count, 1, { status });
}

/** A version activated; `startedAt` (the execution's start, ISO 8601) gives the run's duration when known. */
export function recordActivation(startedAt: string | undefined, now = Date.now()): void {
  metrics.addMetric(METRIC.modelActivated, MetricUnit.Count, 1);
  const started = startedAt === undefined ? Number.NaN : Date.parse(startedAt);
  if (Number.isFinite(started) && now >= started)
    metrics.addMetric(METRIC.retrainDuration, MetricUnit.Seconds, Math.round((now - started) / 1000));
}

/**
 * Publishes the invocation's buffered metrics when it ends, answered or failed. Powertools' own logMetrics does the
 * same but warns on every invocation that buffered none (those whose metrics are all single, like Latency).
 */
export function publishMetrics<E, R>(
  options: { coldStart?: boolean } = {},
): MiddlewareObj<E, R, Error, Context> {
  const publish = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    before: (request) => {
      if (options.coldStart === true) metrics.captureColdStartMetric(request.context.functionName);
    },
    after: publish,
    onError: publish,
  };
}
