import { asyncBufferFromFile, type FileMetaData, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { ITEM_LIMITS } from '../../shared/domain/item.ts';
import { putItems } from '../../shared/ingest/put-items.ts';
import type { LocalRuntime } from '../runtime.ts';
import { ImportInputError } from './errors.ts';
import { fileFingerprint, rowEventIds } from './event-id.ts';
import { createEventPipeline, type EventInput } from './event-pipeline.ts';
import { CountryProfiles } from './online-retail-profiles.ts';
import { type ImportSummary, RejectionLog, type RowError } from './summary.ts';

export interface OnlineRetailImportOptions {
  /** The UCI Online Retail data set as parquet (the columns below, as in data/online-retail/). */
  file: string;
  runtime: LocalRuntime;
  /** Rows processed so far (accepted or rejected) out of the file's rows. */
  onProgress?: (done: number, total: number) => void;
  /** Events per `ingestEvents` call. */
  chunkSize?: number;
  /** Clock for the events' `receivedAt` and the future-timestamp check; tests pin it. */
  now?: () => number;
}

const ONLINE_RETAIL_COLUMNS = [
  'InvoiceNo',
  'StockCode',
  'Description',
  'Quantity',
  'InvoiceDate',
  'UnitPrice',
  'CustomerID',
  'Country',
] as const;

const CURRENCY = 'GBP';
/** Codecs hyparquet decodes without extra packages; anything else is refused up front with a clear message. */
const READABLE_CODECS = new Set(['UNCOMPRESSED', 'SNAPPY']);

interface CatalogEntry {
  /** Lines per description; the counters are mutable so that a line costs one map lookup, not a lookup and a set. */
  descriptions: Map<string, { lines: number }>;
  /** Latest positive price of a sale, and when. */
  price: number | undefined;
  priceAt: number;
  /** Latest price of any line: the fallback for items never sold at a positive price. */
  anyPrice: number | undefined;
  anyPriceAt: number;
  lastAt: number;
}

/**
 * Imports the Online Retail data set (541,909 invoice lines of a UK gift shop) as shopper events and a catalog,
 * through the same `ingestEvents` / `putItems` path as the HTTP API.
 *
 * - every invoice line → a `purchase` event (value = Quantity, price = UnitPrice, GBP, orderId = InvoiceNo,
 *   properties invoiceNo and country); cancellation lines (InvoiceNo "C…") → `return` events with value = |Quantity|;
 * - CustomerID → userId as its integer string (17850 → "17850"); lines without one are anonymous checkouts, one
 *   session per invoice (`invoice-<InvoiceNo>`);
 * - StockCode → itemId as it is; InvoiceDate (a wall-clock timestamp, UK time) is taken as UTC;
 * - eventIds derive from the file's SHA-1 and the row number, so importing the same file again produces the same
 *   ids and training counts each line once;
 * - the catalog: one item per StockCode, titled by its most frequent description, priced at its latest sale
 *   price, `updatedAt` = its last invoice date.
 *
 * Rows that cannot become an event (missing StockCode or date, zero or non-numeric quantity, negative quantity
 * outside a cancellation — the shop's stock adjustments —, negative price — bad-debt adjustments) are skipped and
 * listed with their 1-based row numbers. Only an unreadable file or missing columns throw (ImportInputError).
 */
export async function importOnlineRetail(options: OnlineRetailImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const { file, runtime } = options;
  const now = options.now ?? Date.now;
  const fingerprint = await fileFingerprint(file);
  const eventId = rowEventIds(fingerprint);
  const { buffer, metadata } = await openParquet(file);
  const totalRows = Number(metadata.num_rows);

  const rejections = new RejectionLog();
  const reject = (row: number, field: string, message: string) => rejections.add(row, [{ field, message }]);
  const ingest = { eventSink: runtime.eventSink, store: runtime.store, now };
  const pipeline = createEventPipeline({
    runtime: ingest,
    rejections,
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
  });
  const catalog = new Map<string, CatalogEntry>();
  const profiles = new CountryProfiles();
  // Invoices share dates: formatting each distinct instant once saves ~half a million toISOString calls.
  let lastDateMs = Number.NaN;
  let lastDateIso = '';
  // Likewise an invoice's lines share the customer: one id string per run of lines, not one per line.
  let lastCustomer: unknown = Symbol('none');
  let lastUserId: string | undefined;
  let lastSessionInvoice: string | undefined;
  let lastSessionId = '';

  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    const cols = await readRowGroup(buffer, metadata, file, groupStart, groupRows);
    const [
      invoiceNos,
      stockCodes,
      descriptions,
      quantities,
      invoiceDates,
      unitPrices,
      customerIds,
      countries,
    ] = ONLINE_RETAIL_COLUMNS.map((name) => cols.get(name)!);

    for (let i = 0; i < groupRows; i++) {
      const row = groupStart + i + 1;
      const invoiceNo = text(invoiceNos![i]);
      if (invoiceNo === undefined) {
        reject(row, 'InvoiceNo', 'is missing');
        continue;
      }
      const stockCode = text(stockCodes![i]);
      if (stockCode === undefined) {
        reject(row, 'StockCode', 'is missing');
        continue;
      }
      const dateMs = instant(invoiceDates![i]);
      if (dateMs === undefined) {
        reject(row, 'InvoiceDate', `is ${describe(invoiceDates![i])}, not a date`);
        continue;
      }
      const quantity = integer(quantities![i]);
      if (quantity === undefined) {
        reject(row, 'Quantity', `is ${describe(quantities![i])}, not an integer`);
        continue;
      }
      if (quantity === 0) {
        reject(row, 'Quantity', 'is 0');
        continue;
      }
      const cancellation = invoiceNo.startsWith('C');
      if (quantity < 0 && !cancellation) {
        reject(
          row,
          'Quantity',
          `is ${quantity} on invoice ${invoiceNo}, which is not a cancellation (a stock adjustment)`,
        );
        continue;
      }
      const unitPrice = unitPrices![i];
      let price: number | undefined;
      if (unitPrice !== null && unitPrice !== undefined) {
        price = Number(unitPrice);
        if (!Number.isFinite(price)) {
          reject(row, 'UnitPrice', `is ${describe(unitPrice)}, not a number`);
          continue;
        }
        if (price < 0) {
          reject(row, 'UnitPrice', `is ${price}, negative (an accounting adjustment, not a sale)`);
          continue;
        }
      }
      const customer = customerIds![i];
      let userId: string | undefined;
      if (customer === lastCustomer) userId = lastUserId;
      else if (customer !== null && customer !== undefined) {
        userId = customerKey(customer);
        if (userId === undefined) {
          reject(row, 'CustomerID', `is ${describe(customer)}, not an integer id`);
          continue;
        }
        lastCustomer = customer;
        lastUserId = userId;
      }

      if (dateMs !== lastDateMs) {
        lastDateMs = dateMs;
        lastDateIso = new Date(dateMs).toISOString();
      }
      const country = text(countries![i]);
      // Assignments, not conditional spreads: each spread built and copied a throwaway object per row.
      const event: EventInput = {
        eventId: eventId(row),
        type: cancellation ? 'return' : 'purchase',
        itemId: stockCode,
        // An invoice is a basket: training's "bought together" groups purchases by it.
        orderId: invoiceNo,
        timestamp: lastDateIso,
        value: Math.abs(quantity),
        properties: country !== undefined ? { invoiceNo, country } : { invoiceNo },
      };
      if (userId !== undefined) {
        event.userId = userId;
        if (country !== undefined) profiles.see(userId, country, dateMs);
      } else {
        if (invoiceNo !== lastSessionInvoice) {
          lastSessionInvoice = invoiceNo;
          lastSessionId = `invoice-${invoiceNo}`;
        }
        event.sessionId = lastSessionId;
      }
      if (price !== undefined) {
        event.price = price;
        event.currency = CURRENCY;
      }
      const waiting = pipeline.add(row, event);
      if (waiting !== undefined) {
        await waiting;
        options.onProgress?.(row, totalRows);
      }

      let entry = catalog.get(stockCode);
      if (entry === undefined) {
        entry = {
          descriptions: new Map(),
          price: undefined,
          priceAt: -Infinity,
          anyPrice: undefined,
          anyPriceAt: -Infinity,
          lastAt: dateMs,
        };
        catalog.set(stockCode, entry);
      }
      const description = text(descriptions![i]);
      if (description !== undefined) {
        const counter = entry.descriptions.get(description);
        if (counter !== undefined) counter.lines++;
        else entry.descriptions.set(description, { lines: 1 });
      }
      if (dateMs > entry.lastAt) entry.lastAt = dateMs;
      if (price !== undefined) {
        if (dateMs >= entry.anyPriceAt) {
          entry.anyPrice = price;
          entry.anyPriceAt = dateMs;
        }
        if (!cancellation && price > 0 && dateMs >= entry.priceAt) {
          entry.price = price;
          entry.priceAt = dateMs;
        }
      }
    }
    groupStart += groupRows;
  }
  const counts = await pipeline.finish();
  options.onProgress?.(totalRows, totalRows);

  const items = [...catalog].map(([itemId, entry]) => catalogItem(itemId, entry));
  const rejectedItems: ImportSummary['rejectedItems'] = [];
  let upserted = 0;
  for (let i = 0; i < items.length; i += ITEM_LIMITS.maxBatch) {
    const batch = items.slice(i, i + ITEM_LIMITS.maxBatch);
    const result = await putItems(batch, { itemSink: runtime.itemSink, store: runtime.store, now });
    upserted += result.upserted;
    for (const r of [...result.rejected, ...result.unavailable]) {
      rejectedItems.push({
        itemId: r.itemId,
        errors: r.errors.map((e): RowError => ({ field: e.path, message: e.message })),
      });
    }
  }

  const profilesUpserted = await profiles.land(runtime, now);

  const elapsedMs = performance.now() - started;
  return {
    file,
    rowUnit: 'row',
    rowsRead: totalRows,
    ...counts,
    items: upserted,
    profiles: profilesUpserted,
    rejectedItems,
    rejectedRows: rejections.count,
    rejected: rejections.sorted(),
    elapsedMs,
    rowsPerSecond: totalRows / (elapsedMs / 1000),
  };
}

async function openParquet(file: string) {
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  try {
    buffer = await asyncBufferFromFile(file);
  } catch (error) {
    throw new ImportInputError(file, `cannot open (${(error as Error).message})`, { cause: error });
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new ImportInputError(file, `is not a parquet file (${(error as Error).message})`, { cause: error });
  }
  const found = metadata.schema.slice(1).map((s) => s.name);
  const missing = ONLINE_RETAIL_COLUMNS.filter((c) => !found.includes(c));
  if (missing.length > 0) {
    throw new ImportInputError(
      file,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${found.join(', ')}); ` +
        `an Online Retail file has ${ONLINE_RETAIL_COLUMNS.join(', ')}`,
    );
  }
  for (const group of metadata.row_groups) {
    for (const column of group.columns) {
      const codec = column.meta_data?.codec;
      const name = column.meta_data?.path_in_schema.join('.') ?? '?';
      if (
        codec !== undefined &&
        !READABLE_CODECS.has(codec) &&
        (ONLINE_RETAIL_COLUMNS as readonly string[]).includes(name)
      ) {
        throw new ImportInputError(
          file,
          `column ${name} is ${codec}-compressed; this importer reads uncompressed or SNAPPY parquet (re-save it with snappy)`,
        );
      }
    }
  }
  return { buffer, metadata };
}

/**
 * One row group's columns, decoded column-wise (no row objects). Reading by row group keeps memory bounded by
 * the largest group; finer row ranges would re-decode the group's pages each time, which is ~10x slower.
 */
async function readRowGroup(
  buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>,
  metadata: FileMetaData,
  file: string,
  groupStart: number,
  groupRows: number,
): Promise<Map<string, ArrayLike<unknown>>> {
  const wanted: ReadonlySet<string> = new Set(ONLINE_RETAIL_COLUMNS);
  const cols = new Map<string, ArrayLike<unknown>>();
  /** Columns assembled here from partial chunks (the others are hyparquet's own arrays, not to be written). */
  const assembled = new Map<string, unknown[]>();
  const groupEnd = groupStart + groupRows;
  try {
    await parquetRead({
      file: buffer,
      metadata,
      columns: [...ONLINE_RETAIL_COLUMNS],
      rowStart: groupStart,
      rowEnd: groupEnd,
      onChunk(chunk) {
        const name = chunk.columnName;
        if (!wanted.has(name)) return;
        // A chunk that is exactly the group's rows (hyparquet's usual answer) is used as it is: copying it cost
        // a 500k-element array per column and a pass over it.
        if (
          chunk.rowStart === groupStart &&
          chunk.rowEnd === groupEnd &&
          !cols.has(name) &&
          chunk.columnData.length === groupRows
        ) {
          cols.set(name, chunk.columnData);
          return;
        }
        let target = assembled.get(name);
        if (target === undefined) {
          target = new Array<unknown>(groupRows).fill(null);
          const earlier = cols.get(name);
          if (earlier !== undefined) for (let r = 0; r < groupRows; r++) target[r] = earlier[r];
          assembled.set(name, target);
          cols.set(name, target);
        }
        // Chunks may extend past the requested range; copy only the group's rows.
        const from = Math.max(chunk.rowStart, groupStart);
        const to = Math.min(chunk.rowEnd, groupEnd);
        for (let r = from; r < to; r++) target[r - groupStart] = chunk.columnData[r - chunk.rowStart];
      },
    });
  } catch (error) {
    throw new ImportInputError(
      file,
      `cannot decode rows ${groupStart + 1}–${groupEnd} (${(error as Error).message})`,
      { cause: error },
    );
  }
  for (const name of ONLINE_RETAIL_COLUMNS)
    if (!cols.has(name)) cols.set(name, new Array<unknown>(groupRows).fill(null));
  return cols;
}

function catalogItem(itemId: string, entry: CatalogEntry): Record<string, unknown> {
  let title = itemId;
  let best = 0;
  // Ties go to the description seen first (Map keeps insertion order).
  for (const [description, { lines }] of entry.descriptions) {
    if (lines > best) {
      best = lines;
      title = description;
    }
  }
  const price = entry.price ?? entry.anyPrice;
  return {
    itemId,
    title,
    ...(price !== undefined ? { price, currency: CURRENCY } : {}),
    updatedAt: new Date(entry.lastAt).toISOString(),
  };
}

function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const s = typeof value === 'string' ? value.trim() : String(value);
  return s === '' ? undefined : s;
}

function instant(value: unknown): number | undefined {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string') ms = Date.parse(value);
  else return undefined;
  return Number.isFinite(ms) ? ms : undefined;
}

function integer(value: unknown): number | undefined {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

/** 17850 (stored as a double) → "17850"; fractional or non-numeric ids are malformed. */
function customerKey(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value.toFixed(0) : undefined;
  if (typeof value === 'string') {
    const t = value.trim();
    if (/^\d+$/.test(t)) return t;
    if (/^\d+\.0*$/.test(t)) return t.slice(0, t.indexOf('.'));
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid date' : value.toISOString();
  return JSON.stringify(value) ?? String(value);
}
