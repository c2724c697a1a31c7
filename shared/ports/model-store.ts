import type { ArtifactFiles } from '../model/artifact.ts';

/**
 * Where model artifacts live: `<data-dir>/models/<version>/` locally, `s3://<lake>/models/<version>/` on AWS.
 * A version is visible only once complete (its manifest.json written last), so readers never see half an
 * artifact.
 */
export interface ModelStore {
  /** Writes every file of `files` under `version`, manifest.json last; fails if the version exists. */
  write(version: string, files: ArtifactFiles): Promise<void>;
  /** Complete versions, oldest first (versions sort by training start). */
  list(): Promise<string[]>;
  read(version: string, name: string): Promise<Uint8Array>;
  exists(version: string, name: string): Promise<boolean>;
  /** Where a version lives, for messages (a directory or an S3 URI). */
  location(version: string): string;
}
