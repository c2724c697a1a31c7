import type { ArtifactManifest } from '../model/artifact.ts';
import type { RatingsMeaning } from '../model/interactions.ts';
import type { ModelChoice } from '../model/model-choice.ts';

/** What to train on: the lake's raw zone, or an interactions file (CSV) with its column names. */
export type TrainingSource =
  | { kind: 'lake' }
  | {
      kind: 'csv';
      path: string;
      columns?: { user?: string; item?: string; rating?: string; timestamp?: string };
    };

export interface TrainingRequest {
  source: TrainingSource;
  model: ModelChoice;
  budgetSeconds?: number;
  k?: number;
  seed?: number;
  /** The tuner's validation protocol as `--validation` spells it (`leave-last`, `temporal:70`, …). */
  validation?: string;
  /** What a rating means (default 'preference'). */
  ratings?: RatingsMeaning;
  /** auto/hybrid: try the learned second-stage ranker (default false). */
  ranker?: boolean;
  /** The artifact version to write (the retrain state machine fixes it up front); default: start time + random. */
  version?: string;
  /** Write the artifact into this directory instead of the model store. */
  outDir?: string;
  /** Free-text progress (iteration, validation metric, elapsed time). */
  onProgress?: (message: string) => void;
  /** Counted progress of the long loops (reading, precomputing lists). */
  onCount?: (label: string, done: number, total?: number) => void;
}

export interface TrainingOutcome {
  version: string;
  /** Where the artifact was written (a directory or an S3 prefix). */
  location: string;
  manifest: ArtifactManifest;
  /** Malformed input lines kept for the report (location and reason), at most a few. */
  warnings: string[];
}

/**
 * A trainer that turns the lake (or a file) into one versioned model artifact (docs/model-artifact.md).
 * Local: the TypeScript trainer in-process, or Spark in local mode; AWS: an EMR step running jobs/emr.
 */
export interface TrainingEngine {
  readonly name: 'typescript' | 'spark';
  train(request: TrainingRequest): Promise<TrainingOutcome>;
}
