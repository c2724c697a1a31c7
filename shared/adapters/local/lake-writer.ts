import { randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { constants, createGunzip, gzip } from 'node:zlib';
import type { RecordSink, SinkRecord, SinkResult } from '../../ports/record-sink.ts';
import { objectKey } from './lake-layout.ts';

const gzipAsync = promisify(gzip);

export interface LakeWriterOptions {
  /** The lake root (the bucket, locally): objects go to `<root>/<zonePrefix>/year=…/…gz`. */
  root: string;
  /** e.g. `raw/events`. */
  zonePrefix: string;
  /** The delivery stream name used in object names. */
  streamName: string;
  /** Close the object and start a new one past this many uncompressed bytes (Firehose's buffering size). */
  maxObjectBytes?: number;
  /** …or when the object is this old (Firehose's buffering interval). */
  maxObjectAgeMs?: number;
  /** Skip the fsync per put: for bulk imports, which fsync each object once when it is finished. */
  durable?: boolean;
  now?: () => number;
}

interface OpenObject {
  handle: FileHandle;
  stagingPath: string;
  key: string;
  bytes: number;
  openedAt: number;
  day: number;
}

interface Pending {
  /** The records' lines, encoded when they were put; undefined when none was accepted. */
  text: Buffer | undefined;
  result: SinkResult;
  resolve: (result: SinkResult) => void;
  reject: (error: unknown) => void;
}

const STAGING = '.staging';
/** Firehose's limit per record; locally the same, so a record accepted here is accepted on AWS. */
const MAX_RECORD_BYTES = 1_024_000;

/**
 * The local stand-in for a Firehose delivery stream into S3.
 *
 * Durability: `put` resolves only after its records are compressed, appended to the open object and fsync'd,
 * so an acknowledged record survives `kill -9`. Concurrent puts are group-committed (one gzip member and one
 * fsync for all of them), which is what makes per-request durability affordable. Each commit appends a complete
 * gzip member; concatenated members are a valid gzip file.
 *
 * Visibility: like Firehose, an object appears under its partition only when it is complete (rotated by size,
 * age or day change, or on close). Until then it lives under `<root>/.staging/`; `recover()` finishes objects a
 * crashed process left there, dropping a torn tail that was never acknowledged.
 */
export function createLakeWriter(options: LakeWriterOptions): RecordSink & {
  /** Finishes objects left in staging by a process that died. Call once before the first put. */
  recover(): Promise<string[]>;
  /** Closes the current object (makes it visible) without closing the writer. */
  rotate(): Promise<void>;
} {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxObjectBytes ?? 8 * 1024 * 1024;
  const maxAge = options.maxObjectAgeMs ?? 60_000;
  const durable = options.durable ?? true;
  const stagingDir = join(options.root, STAGING, options.streamName);

  let current: OpenObject | undefined;
  let queue: Pending[] = [];
  let writing: Promise<void> | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  async function openObject(at: number): Promise<OpenObject> {
    await mkdir(stagingDir, { recursive: true });
    const date = new Date(at);
    const key = objectKey(options.zonePrefix, options.streamName, date, randomUUID());
    const stagingPath = join(stagingDir, `${encodeURIComponent(key)}`);
    const handle = await open(stagingPath, 'a');
    if (durable) await fsyncDir(stagingDir);
    return { handle, stagingPath, key, bytes: 0, openedAt: at, day: Math.floor(at / 86_400_000) };
  }

  async function finish(obj: OpenObject): Promise<void> {
    // Bulk mode skips the per-commit fsync; one per finished object still makes what it published durable.
    if (!durable && obj.bytes > 0) await obj.handle.datasync();
    await obj.handle.close();
    if (obj.bytes === 0) {
      await rm(obj.stagingPath, { force: true });
      return;
    }
    await publish(options.root, obj.stagingPath, obj.key);
  }

  async function commit(batch: Pending[]): Promise<void> {
    const at = now();
    const day = Math.floor(at / 86_400_000);
    if (current !== undefined && (current.day !== day || at - current.openedAt >= maxAge)) {
      const done = current;
      current = undefined;
      await finish(done);
    }
    const texts: Buffer[] = [];
    for (const pending of batch) if (pending.text !== undefined) texts.push(pending.text);
    if (texts.length > 0) {
      current ??= await openObject(at);
      const text = texts.length === 1 ? texts[0]! : Buffer.concat(texts);
      const member = await gzipAsync(text, { level: constants.Z_BEST_SPEED });
      await current.handle.write(member);
      if (durable) await current.handle.datasync();
      current.bytes += text.length;
      if (current.bytes >= maxBytes) {
        const done = current;
        current = undefined;
        await finish(done);
      }
    }
    for (const pending of batch) pending.resolve(pending.result);
  }

  function drain(): Promise<void> {
    writing ??= (async () => {
      try {
        while (queue.length > 0) {
          const batch = queue;
          queue = [];
          try {
            await commit(batch);
          } catch (error) {
            for (const pending of batch) pending.reject(error);
          }
        }
      } finally {
        writing = undefined;
      }
    })();
    return writing;
  }

  function armTimer(): void {
    if (timer !== undefined || closed) return;
    // Rotating an idle object keeps the "visible within the buffering interval" promise even without traffic.
    timer = setInterval(
      () => {
        if (current !== undefined && now() - current.openedAt >= maxAge && queue.length === 0) {
          void rotate();
        }
      },
      Math.min(maxAge, 5_000),
    );
    timer.unref();
  }

  async function rotate(): Promise<void> {
    await writing;
    if (current === undefined) return;
    const done = current;
    current = undefined;
    await finish(done);
  }

  return {
    put(records) {
      if (closed) return Promise.reject(new Error(`lake writer for ${options.streamName} is closed`));
      if (records.length === 0) return Promise.resolve({ failed: [] });
      armTimer();
      // Encoded now rather than at commit: the records' strings are garbage at once instead of living (and being
      // copied by the garbage collector) while earlier commits are compressed and written.
      const { text, result } = encode(records);
      return new Promise<SinkResult>((resolve, reject) => {
        queue.push({ text, result, resolve, reject });
        void drain();
      });
    },
    rotate,
    async close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      while (writing !== undefined) await writing;
      await rotate();
    },
    recover: () => recoverStaging(options.root, stagingDir),
  };
}

/** The records' JSON lines as UTF-8, and the records refused for their size. */
function encode(records: readonly SinkRecord[]): { text: Buffer | undefined; result: SinkResult } {
  const failed: SinkResult['failed'] = [];
  const lines: string[] = [];
  records.forEach((record, index) => {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: only a record near the limit needs counting. Counting them all
    // flattened each record's string (the events' JSON is built by concatenation) just to measure it.
    if (record.json.length * 3 + 1 <= MAX_RECORD_BYTES) {
      lines.push(record.json);
      return;
    }
    const size = Buffer.byteLength(record.json) + 1;
    if (size > MAX_RECORD_BYTES) {
      failed.push({
        index,
        id: record.id,
        code: 'too_large',
        message: `record is ${size} bytes as a JSON line; the limit is ${MAX_RECORD_BYTES}`,
      });
      return;
    }
    lines.push(record.json);
  });
  if (lines.length === 0) return { text: undefined, result: { failed } };
  // The empty last element gives the closing newline without copying the joined text once more.
  lines.push('');
  return { text: Buffer.from(lines.join('\n')), result: { failed } };
}

async function publish(root: string, stagingPath: string, key: string): Promise<void> {
  const finalPath = join(root, key);
  await mkdir(dirname(finalPath), { recursive: true });
  await rename(stagingPath, finalPath);
  await fsyncDir(dirname(finalPath));
  await fsyncDir(dirname(stagingPath));
}

async function recoverStaging(root: string, stagingDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(stagingDir);
  } catch {
    return [];
  }
  const recovered: string[] = [];
  for (const name of names) {
    const stagingPath = join(stagingDir, name);
    const key = decodeURIComponent(name);
    const text = await gunzipPrefix(await readFile(stagingPath));
    // A torn final member belongs to a commit that was never acknowledged; keep only whole lines.
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      await rm(stagingPath, { force: true });
      continue;
    }
    const fixed = await gzipAsync(text.slice(0, end + 1), { level: constants.Z_BEST_SPEED });
    const tmp = `${stagingPath}.recovering`;
    await writeFile(tmp, fixed);
    const h = await open(tmp, 'r+');
    await h.datasync();
    await h.close();
    await rename(tmp, stagingPath);
    await publish(root, stagingPath, key);
    recovered.push(key);
  }
  return recovered;
}

/** Decompresses as much of a (possibly truncated) multi-member gzip buffer as is readable. */
function gunzipPrefix(data: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const gunzip = createGunzip();
    gunzip.on('data', (c: Buffer) => chunks.push(c));
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'));
    gunzip.on('end', done);
    gunzip.on('error', done);
    gunzip.end(data);
  });
}

async function fsyncDir(path: string): Promise<void> {
  const h = await open(path, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
