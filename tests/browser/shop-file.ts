import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { type RetailRow, writeRetailParquet } from '../integration/import-fixtures.ts';

/**
 * The last `rows` invoice lines of the bundled Online Retail file, written as the real file types them: a small
 * shop that `npm start --file` imports and trains on in seconds, so the browser test stays short. Returns the
 * customers with the most lines, most first (shoppers the model surely knows).
 */
export async function writeSmallShop(source: string, target: string, rows: number): Promise<string[]> {
  const file = await asyncBufferFromFile(source);
  const metadata = await parquetMetadataAsync(file);
  const total = Number(metadata.num_rows);
  const objects = (await parquetReadObjects({ file, rowStart: total - rows, rowEnd: total })) as RetailRow[];
  await writeRetailParquet(target, objects);
  const lines = new Map<number, number>();
  for (const r of objects)
    if (r.CustomerID !== null) lines.set(r.CustomerID, (lines.get(r.CustomerID) ?? 0) + 1);
  return [...lines.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => String(id));
}
