import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CsvError, parse } from 'csv-parse';
import { ImportInputError } from './errors.ts';

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the file where the record starts (the header is line 1). */
  line: number;
}

export interface CsvSource {
  header: string[];
  /** Size of the file, for progress. */
  bytes: number;
  /** Bytes read so far. */
  bytesRead(): number;
  records: AsyncGenerator<CsvRecord>;
}

/**
 * Streams a delimited text file record by record (csv-parse: quoting, embedded newlines, BOM), so a 1 GB file
 * costs the memory of one record. Rows with too few or too many fields are handed on, not thrown, so that the
 * importer can reject them by line number; a quoting error that makes the rest unreadable stops the import.
 */
export async function openCsv(file: string, options: { delimiter?: string } = {}): Promise<CsvSource> {
  let bytes: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a regular file');
    bytes = s.size;
  } catch (error) {
    throw new ImportInputError(file, `cannot read the file (${(error as Error).message})`, { cause: error });
  }
  const input = createReadStream(file);
  const parser = input.pipe(
    parse({
      bom: true,
      delimiter: options.delimiter ?? delimiterFor(file),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }),
  );
  input.on('error', (error) => parser.destroy(error));
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{
    record: string[];
    info: { lines: number };
  }>;
  let lastLine = 0;

  async function next(): Promise<{ record: string[]; info: { lines: number } } | undefined> {
    try {
      const r = await iterator.next();
      return r.done ? undefined : r.value;
    } catch (error) {
      if (error instanceof CsvError) {
        const line = (error as CsvError & { lines?: number }).lines ?? lastLine + 1;
        throw new ImportInputError(file, `line ${line}: ${error.message}`, { cause: error });
      }
      throw new ImportInputError(file, `cannot read the file (${(error as Error).message})`, {
        cause: error,
      });
    }
  }

  const first = await next();
  if (first === undefined) throw new ImportInputError(file, 'is empty: expected a header line');
  lastLine = first.info.lines;
  const header = first.record;

  async function* records(): AsyncGenerator<CsvRecord> {
    for (;;) {
      const r = await next();
      if (r === undefined) return;
      lastLine = r.info.lines;
      // `info.lines` is where the record ends; a quoted field with newlines starts it earlier.
      let newlines = 0;
      for (const field of r.record)
        for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1)) newlines++;
      yield { fields: r.record, line: r.info.lines - newlines };
    }
  }

  return { header, bytes, bytesRead: () => input.bytesRead, records: records() };
}

function delimiterFor(file: string): string {
  return /\.tsv$/i.test(file) ? '\t' : ',';
}
