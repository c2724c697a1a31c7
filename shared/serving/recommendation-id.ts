import type { Assignment } from './assignment.ts';

/** Experiment and variant names travel inside recommendation ids, so they are restricted to these characters. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * `<random>` outside experiments, `<random>.<experiment>.<variant>` inside one: feedback then counts a click for
 * the variant that actually served the list, even if the shopper's assignment or the experiment changed since,
 * and serving needs no write per request to remember it.
 */
export function recommendationIdFor(assignment: Assignment, random: string): string {
  return assignment.experiment === undefined
    ? random
    : `${random}.${assignment.experiment}.${assignment.variant}`;
}

export function parseRecommendationId(id: string): { experiment: string; variant: string } | undefined {
  const parts = id.split('.');
  if (parts.length !== 3) return undefined;
  const [, experiment, variant] = parts as [string, string, string];
  return NAME_PATTERN.test(experiment) && NAME_PATTERN.test(variant) ? { experiment, variant } : undefined;
}
