/**
 * What every model offers the evaluator and the serving layer: dense scores for one user over the whole
 * catalog. Top-k, exclusions and blending are done outside the model so that all models are judged alike.
 */
export interface Scorer {
  readonly name: string;
  /** Writes the score of every item for user `u` into `out` (length = item count); higher is better. */
  scoreUser(u: number, out: Float32Array): void;
}
