import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readLakeZone } from '../../shared/adapters/local/lake-reader.ts';

/** One Online Retail line as the parquet holds it; `null` is a missing value. */
export interface RetailRow {
  InvoiceNo: string | null;
  StockCode: string | null;
  Description: string | null;
  Quantity: bigint | null;
  InvoiceDate: Date | null;
  UnitPrice: number | null;
  CustomerID: number | null;
  Country: string | null;
}

const at = (iso: string) => new Date(iso);

/**
 * A small Online Retail file with the edge rows the importer must handle; row numbers (1-based) in comments.
 * Expected: rows 1–4 and 11 become events; 5–10 are rejected.
 */
export const RETAIL_ROWS: RetailRow[] = [
  /* 1 */ row('536365', '85123A', 'WHITE HANGING HEART', 6n, '2010-12-01T08:26:00Z', 2.55, 17850),
  /* 2 */ row('536365', '71053', 'WHITE METAL LANTERN', 6n, '2010-12-01T08:26:00Z', 3.39, 17850),
  /* 3 */ row('C536379', '85123A', 'WHITE HANGING HEART', -2n, '2010-12-01T09:41:00Z', 2.55, 17850),
  /* 4 */ row('536400', '85123A', 'HEART T-LIGHT HOLDER', 1n, '2010-12-02T10:00:00Z', 2.95, null),
  /* 5 */ row('536401', null, 'NO CODE', 1n, '2010-12-02T10:05:00Z', 1, 17850),
  /* 6 */ row('536402', '22633', 'HAND WARMER', 0n, '2010-12-02T11:00:00Z', 1.85, 13047),
  /* 7 */ row('536403', '22633', 'Unknown', -10n, '2010-12-02T12:00:00Z', 0, null),
  /* 8 */ row('536404', '22633', 'HAND WARMER', 3n, null, 1.85, 13047),
  /* 9 */ row('A563186', 'B', 'Adjust bad debt', 1n, '2011-08-12T14:51:00Z', -11062.06, null),
  /* 10 */ row('536405', 'X'.repeat(200), 'TOO LONG A CODE', 1n, '2010-12-03T09:00:00Z', 1, 13047),
  /* 11 */ row('536406', '22633', 'HAND WARMER', 4n, '2010-12-03T10:00:00Z', 1.85, 13047),
];

function row(
  invoiceNo: string | null,
  stockCode: string | null,
  description: string | null,
  quantity: bigint | null,
  date: string | null,
  unitPrice: number | null,
  customerId: number | null,
): RetailRow {
  return {
    InvoiceNo: invoiceNo,
    StockCode: stockCode,
    Description: description,
    Quantity: quantity,
    InvoiceDate: date === null ? null : at(date),
    UnitPrice: unitPrice,
    CustomerID: customerId,
    Country: 'United Kingdom',
  };
}

/** Writes rows as the real file types them (strings, INT64 quantity, timestamp, doubles), optionally without some columns. */
export async function writeRetailParquet(
  path: string,
  rows: RetailRow[],
  omit: string[] = [],
): Promise<void> {
  const columns: { name: keyof RetailRow; type: 'STRING' | 'INT64' | 'TIMESTAMP' | 'DOUBLE' }[] = [
    { name: 'InvoiceNo', type: 'STRING' },
    { name: 'StockCode', type: 'STRING' },
    { name: 'Description', type: 'STRING' },
    { name: 'Quantity', type: 'INT64' },
    { name: 'InvoiceDate', type: 'TIMESTAMP' },
    { name: 'UnitPrice', type: 'DOUBLE' },
    { name: 'CustomerID', type: 'DOUBLE' },
    { name: 'Country', type: 'STRING' },
  ];
  const buffer = parquetWriteBuffer({
    columnData: columns
      .filter((c) => !omit.includes(c.name))
      .map((c) => ({ name: c.name, type: c.type, data: rows.map((r) => r[c.name]) })),
  });
  await writeFile(path, Buffer.from(buffer));
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function lakeEvents(lakeRoot: string): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  for await (const e of readLakeZone(lakeRoot, 'raw/events')) events.push(e as Record<string, unknown>);
  return events;
}

const BIN = new URL('../../local/cli/bin.js', import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `recsys` entry point as a child process, with the Node running the tests (Node 22 under npm). */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, RECSYS_DATA_DIR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
