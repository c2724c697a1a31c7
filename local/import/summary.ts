import type { EventType } from '../../shared/domain/event.ts';

/** One problem with one input row: `field` is the source column (or the event field the schema complained about). */
export interface RowError {
  field: string;
  message: string;
}

export interface RejectedRow {
  /** Where the row is: the 1-based data row of a parquet file, the 1-based line of a text file. */
  row: number;
  errors: RowError[];
}

export interface ImportSummary {
  file: string;
  /** What `RejectedRow.row` counts: parquet rows or text lines. */
  rowUnit: 'row' | 'line';
  rowsRead: number;
  /** Events the lake and the serving store took. */
  events: number;
  eventsByType: Partial<Record<EventType, number>>;
  /** Events of shoppers known only by a session (Online Retail: lines without CustomerID). */
  anonymousEvents: number;
  /** Catalog items upserted. */
  items: number;
  /** Shopper profiles upserted (Online Retail: each customer's Country; issue 16). */
  profiles?: number;
  rejectedItems: { itemId: string | undefined; errors: RowError[] }[];
  rejectedRows: number;
  /** The first `MAX_LISTED_REJECTIONS` rejected rows, in row order; `rejectedRows` counts them all. */
  rejected: RejectedRow[];
  elapsedMs: number;
  rowsPerSecond: number;
}

const MAX_LISTED_REJECTIONS = 100;

/** Keeps the count of every rejected row but the details of the first few only: a bad 1 GB file must not fill memory. */
export class RejectionLog {
  readonly listed: RejectedRow[] = [];
  count = 0;
  readonly limit: number;
  constructor(limit = MAX_LISTED_REJECTIONS) {
    this.limit = limit;
  }
  add(row: number, errors: RowError[]): void {
    this.count++;
    if (this.listed.length < this.limit) this.listed.push({ row, errors });
  }
  /** Rows are rejected out of order (pre-checks at once, schema errors after a chunk returns): list them in order. */
  sorted(): RejectedRow[] {
    return [...this.listed].sort((a, b) => a.row - b.row);
  }
}

function formatRejection(r: RejectedRow, unit: 'row' | 'line'): string {
  return `${unit} ${r.row}: ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
}

/** The human-readable end of an import, one fact a line. */
export function formatImportSummary(s: ImportSummary, maxListed = 20): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const byType = Object.entries(s.eventsByType)
    .map(([type, count]) => `${type} ${n(count ?? 0)}`)
    .join(', ');
  const lines = [
    `imported ${s.file}`,
    `  ${s.rowUnit}s read:       ${n(s.rowsRead)}`,
    `  events ingested: ${n(s.events)}${byType === '' ? '' : ` (${byType})`}`,
    `  anonymous:       ${n(s.anonymousEvents)}`,
    `  catalog items:   ${n(s.items)}${s.rejectedItems.length > 0 ? ` (${n(s.rejectedItems.length)} rejected)` : ''}`,
    `  rejected ${s.rowUnit}s:   ${n(s.rejectedRows)}`,
    `  elapsed:         ${(s.elapsedMs / 1000).toFixed(2)} s (${n(Math.round(s.rowsPerSecond))} ${s.rowUnit}s/s)`,
  ];
  if (s.rejectedRows > 0) {
    lines.push(
      `rejected ${s.rowUnit}s (skipped; first ${Math.min(maxListed, s.rejected.length)} of ${n(s.rejectedRows)}):`,
    );
    for (const r of s.rejected.slice(0, maxListed)) lines.push(`  ${formatRejection(r, s.rowUnit)}`);
  }
  for (const item of s.rejectedItems.slice(0, maxListed)) {
    lines.push(
      `  item ${item.itemId ?? '(no id)'}: ${item.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    );
  }
  return lines;
}
