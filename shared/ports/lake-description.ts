/**
 * The raw events zone's newest object, how many there are and their bytes: what tells "new data" from "the
 * same data", and whether it fits one machine's trainer (the retrain state machine's ChooseTrainer).
 * AWS: S3 ListObjectsV2 (shared/adapters/aws/s3-lake-description.ts); local: a walk of the lake directory.
 */
export type DescribeLake = () => Promise<{ newestKey: string; objects: number; bytes: number } | undefined>;

/**
 * One zone of the lake (`raw/events`, `raw/items`) as the trainers read it: its complete objects in key order,
 * each a stream of JSON values. AWS: S3 (shared/adapters/aws/s3-lake-reader.ts); local: the lake directory
 * (shared/adapters/local/lake-reader.ts). Lines that are not JSON go to `onBadLine`, never thrown.
 */
export interface LakeZone {
  /** Where the zone is, for messages and the manifest's `data.source` (`<dir>/raw/events`, `s3://…`). */
  readonly location: string;
  keys(): Promise<string[]>;
  read(key: string, onBadLine?: (key: string, line: number, text: string) => void): AsyncIterable<unknown>;
}
