import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ArtifactFiles } from '../../model/artifact.ts';
import type { ModelStore } from '../../ports/model-store.ts';
import { checkArtifactFileName, checkModelVersion, fileNotFound } from '../model-store-names.ts';

export interface S3ModelStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of the versions, default `models/`. */
  prefix?: string;
}

function notFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/**
 * The ModelStore on S3: `s3://<lake>/models/<version>/<file>`, the same names as a local artifact directory.
 * S3 has no directory rename, so completeness is the manifest: it is written last and readers (list, serving)
 * treat a version without one as unfinished.
 */
export function createS3ModelStore(options: S3ModelStoreOptions): ModelStore {
  const { client, bucket } = options;
  const prefix = options.prefix ?? 'models/';
  const key = (version: string, name: string) => `${prefix}${version}/${name}`;
  const location = (version: string) => `s3://${bucket}/${prefix}${version}/`;
  const exists = async (version: string, name: string) => {
    checkArtifactFileName(name);
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key(version, name) }));
      return true;
    } catch (error) {
      if (notFound(error)) return false;
      throw error;
    }
  };
  return {
    location,
    async write(version: string, files: ArtifactFiles) {
      checkModelVersion(version);
      // Checked before anything is written: S3 keys are literal, so `../x` would land as a key of that name.
      for (const name of files.keys()) checkArtifactFileName(name);
      if (await exists(version, 'manifest.json')) throw new Error(`${location(version)} already exists`);
      const manifest = files.get('manifest.json');
      if (manifest === undefined) throw new Error('an artifact needs a manifest.json');
      for (const [name, body] of files)
        if (name !== 'manifest.json')
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: key(version, name), Body: body }));
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key(version, 'manifest.json'), Body: manifest }),
      );
    },
    async list() {
      const versions: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const p of page.CommonPrefixes ?? []) {
          const v = p.Prefix?.slice(prefix.length, -1);
          if (v !== undefined && v !== '') versions.push(v);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      const complete: string[] = [];
      for (const v of versions.sort()) if (await exists(v, 'manifest.json')) complete.push(v);
      return complete;
    },
    async read(version, name) {
      checkArtifactFileName(name);
      let out: GetObjectCommandOutput;
      try {
        out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key(version, name) }));
      } catch (error) {
        if (notFound(error)) throw fileNotFound(name, location(version));
        throw error;
      }
      if (out.Body === undefined) throw new Error(`${key(version, name)} has no body`);
      return out.Body.transformToByteArray();
    },
    exists,
  };
}
