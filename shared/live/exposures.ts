/** Per variant: lists served inside the experiment, as recorded, and that count over the sample rate. */
export interface VariantExposures {
  variant: string;
  /** Distinct recommendationIds recorded (the lake delivers at least once: a repeat counts once). */
  recorded: number;
  /** Σ 1 / sampleRate over them: the number of lists served, exact when nothing was sampled away. */
  estimated: number;
}

/**
 * The exposures of `experiment` counted from the impressions zone (raw/impressions): every list served to a
 * shopper in it, by variant. Unlike the live experiment counters this is a recount from the record, so it is
 * exact (with sample rate 1) even where a counter update was lost. Lines that are not impressions are skipped.
 */
export async function exposuresFromImpressions(
  lines: AsyncIterable<unknown> | Iterable<unknown>,
  experiment: string,
): Promise<VariantExposures[]> {
  const seen = new Set<string>();
  const byVariant = new Map<string, VariantExposures>();
  for await (const line of lines) {
    const i = line as {
      recommendationId?: unknown;
      experiment?: unknown;
      variant?: unknown;
      sampleRate?: unknown;
    };
    if (
      i.experiment !== experiment ||
      typeof i.recommendationId !== 'string' ||
      typeof i.variant !== 'string'
    )
      continue;
    if (seen.has(i.recommendationId)) continue;
    seen.add(i.recommendationId);
    const rate = typeof i.sampleRate === 'number' && i.sampleRate > 0 ? i.sampleRate : 1;
    let v = byVariant.get(i.variant);
    if (v === undefined) {
      v = { variant: i.variant, recorded: 0, estimated: 0 };
      byVariant.set(i.variant, v);
    }
    v.recorded++;
    v.estimated += 1 / rate;
  }
  return [...byVariant.values()].sort((a, b) => (a.variant < b.variant ? -1 : 1));
}
