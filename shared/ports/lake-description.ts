/**
 * The raw events zone's newest object and how many there are: what tells "new data" from "the same data".
 * AWS: S3 ListObjectsV2 (shared/adapters/aws/s3-lake-description.ts); local: a walk of the lake directory.
 */
export type DescribeLake = () => Promise<{ newestKey: string; objects: number } | undefined>;
