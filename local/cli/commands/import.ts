import { type Command, InvalidArgumentError, Option } from 'commander';
import { EVENT_TYPES, type EventType } from '../../../shared/domain/event.ts';
import { resolveDataDir } from '../../data-dir.ts';
import { importInteractionsCsv } from '../../import/csv.ts';
import { ImportInputError } from '../../import/errors.ts';
import { importOnlineRetail } from '../../import/online-retail.ts';
import { formatImportSummary, type ImportSummary } from '../../import/summary.ts';
import { type LocalRuntime, openLocalRuntime } from '../../runtime.ts';
import { CliError } from '../errors.ts';
import { dataDirOption } from '../options.ts';
import { type ProgressReporter, progressReporter } from '../progress.ts';

/** Exit code when the file was read but rows (or, for `ingest`, lines) were rejected beyond what is tolerated. */
export const EXIT_REJECTED = 2;

const EXIT_CODES_HELP = `
Exit codes:
  0  imported; rejected rows, if any, are listed and stay within --max-rejected
  1  nothing imported: the file is unreadable, not the expected format, or lacks a column
  2  imported, but more rows were rejected than --max-rejected allows (the valid rows ARE in the lake)`;

interface CommonOptions {
  dataDir: string;
  maxRejected: number;
  json?: boolean;
}

/**
 * Opens the data directory for a bulk load, runs `work` with a progress display, closes the runtime whatever
 * happens, and turns the failures a user can fix into CliErrors (exit 1).
 */
export async function withImportRuntime(
  dataDirFlag: string,
  label: string,
  unit: string,
  work: (runtime: LocalRuntime, progress: ProgressReporter) => Promise<ImportSummary>,
): Promise<ImportSummary> {
  let runtime: LocalRuntime;
  try {
    runtime = await openLocalRuntime({ dataDir: resolveDataDir(dataDirFlag), bulk: true });
  } catch (error) {
    throw new CliError(`cannot open the data directory: ${(error as Error).message}`, 1, { cause: error });
  }
  const progress = progressReporter(label, unit);
  try {
    const summary = await work(runtime, progress);
    progress.done();
    return summary;
  } catch (error) {
    if (error instanceof ImportInputError) throw new CliError(error.message, 1, { cause: error });
    throw error;
  } finally {
    await runtime.close();
  }
}

/** Prints the summary (stdout) and any warning (stderr); fails with EXIT_REJECTED past the tolerated share. */
export function reportSummary(
  summary: ImportSummary,
  opts: { maxRejected: number; json?: boolean | undefined },
): void {
  if (opts.json === true) console.log(JSON.stringify(summary, null, 2));
  else for (const line of formatImportSummary(summary)) console.log(line);
  if (summary.rejectedRows === 0) return;
  const share = summary.rowsRead > 0 ? summary.rejectedRows / summary.rowsRead : 1;
  const what = `${summary.rejectedRows.toLocaleString('en-US')} of ${summary.rowsRead.toLocaleString('en-US')} ${summary.rowUnit}s (${(share * 100).toFixed(2)}%) were rejected and skipped`;
  if (share > opts.maxRejected) {
    throw new CliError(
      `${what}, more than --max-rejected ${opts.maxRejected}; the ${summary.events.toLocaleString('en-US')} valid events were ingested`,
      EXIT_REJECTED,
    );
  }
  console.error(`warning: ${what}`);
}

function ratio(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a ratio between 0 and 1, e.g. 0.05');
  return n;
}

/** `--max-rejected`: the share of rows (or lines) that may be rejected before the exit code is 2. */
export function maxRejectedOption(fallback: number, unit: 'rows' | 'lines'): Option {
  return new Option(
    '--max-rejected <ratio>',
    `share of ${unit} that may be rejected (skipped) before the exit code is 2`,
  )
    .default(fallback)
    .argParser(ratio);
}

function commonOptions(command: Command): Command {
  return command
    .addOption(dataDirOption())
    .addOption(maxRejectedOption(0.05, 'rows'))
    .option('--json', 'print the summary as JSON instead of text');
}

export function registerImport(program: Command): void {
  const importCommand = program
    .command('import')
    .description(
      'bulk-load a data set into the lake and the serving store through the same ingest path as the API',
    );

  commonOptions(
    importCommand
      .command('online-retail')
      .description(
        'import the UCI Online Retail parquet: invoice lines → purchase events, cancellations (InvoiceNo "C…") → return events, ' +
          'lines without CustomerID → anonymous sessions (one per invoice), StockCode/Description/UnitPrice → the catalog',
      )
      .argument('<file>', 'the parquet file (e.g. data/online-retail/online_retail.parquet)'),
  )
    .addHelpText(
      'after',
      `
Rows that cannot be a shopper's event (stock adjustments with a negative quantity outside a cancellation,
negative bad-debt prices, missing StockCode/InvoiceDate, quantity 0) are skipped and listed by row number
(1 = the first data row). Importing the same file twice produces the same eventIds.${EXIT_CODES_HELP}`,
    )
    .action(async (file: string, opts: CommonOptions) => {
      const summary = await withImportRuntime(opts.dataDir, 'online-retail', 'rows', (runtime, progress) =>
        importOnlineRetail({ file, runtime, onProgress: progress.update }),
      );
      reportSummary(summary, opts);
    });

  commonOptions(
    importCommand
      .command('csv')
      .description('import any interaction data set (MovieLens-like) from a CSV with a header line')
      .argument('<file>', 'the CSV file (streamed; .tsv is tab-separated)')
      .option('--user-col <name>', 'column with the user id', 'user')
      .option('--item-col <name>', 'column with the item id', 'item')
      .option(
        '--rating-col <name>',
        'column with a rating 1–5 (or, with --type, the event value such as a quantity)',
      )
      .option(
        '--time-col <name>',
        'column with the time: epoch seconds, epoch milliseconds or ISO 8601 (zoneless = UTC)',
      )
      .option('--type-col <name>', "column with each row's event type")
      .option('--order-col <name>', 'column with the order (basket) id: "bought together" learns from it')
      .addOption(
        new Option(
          '--type <type>',
          'event type of every row (default: rating with --rating-col, else purchase)',
        ).choices(EVENT_TYPES),
      )
      .option('--delimiter <char>', 'field separator (default: tab for .tsv, else comma)'),
  )
    .addHelpText(
      'after',
      `
Rows with an empty user or item, an unreadable time or rating, or a rating outside 1–5 are skipped and listed
by line number (the header is line 1). Without --time-col every event gets the import time.${EXIT_CODES_HELP}

Example (MovieLens ratings.csv):
  recsys import csv ratings.csv --user-col userId --item-col movieId --rating-col rating --time-col timestamp`,
    )
    .action(
      async (
        file: string,
        opts: CommonOptions & {
          userCol: string;
          itemCol: string;
          ratingCol?: string;
          timeCol?: string;
          typeCol?: string;
          orderCol?: string;
          type?: EventType;
          delimiter?: string;
        },
      ) => {
        const summary = await withImportRuntime(opts.dataDir, 'csv', 'bytes', (runtime, progress) =>
          importInteractionsCsv({
            file,
            runtime,
            userCol: opts.userCol,
            itemCol: opts.itemCol,
            ...(opts.ratingCol !== undefined ? { ratingCol: opts.ratingCol } : {}),
            ...(opts.timeCol !== undefined ? { timeCol: opts.timeCol } : {}),
            ...(opts.typeCol !== undefined ? { typeCol: opts.typeCol } : {}),
            ...(opts.orderCol !== undefined ? { orderCol: opts.orderCol } : {}),
            ...(opts.type !== undefined ? { defaultType: opts.type } : {}),
            ...(opts.delimiter !== undefined ? { delimiter: opts.delimiter.replace('\\t', '\t') } : {}),
            onProgress: progress.update,
          }),
        );
        reportSummary(summary, opts);
      },
    );
}
