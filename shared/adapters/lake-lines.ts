import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * The JSON lines of one GZIP lake object (Firehose's format), whichever store it comes from: the local lake
 * and S3 readers both parse through here, so the two trainers' inputs cannot drift apart. Lines that are not
 * JSON are reported through `onBadLine`, not thrown: one corrupt record must not stop a retrain.
 */
export async function* gzipJsonLines(
  body: Readable,
  key: string,
  onBadLine?: (key: string, line: number, text: string) => void,
): AsyncGenerator<unknown> {
  const lines = createInterface({ input: body.pipe(createGunzip()), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text === '') continue;
    try {
      yield JSON.parse(text);
    } catch {
      onBadLine?.(key, n, text);
    }
  }
}
