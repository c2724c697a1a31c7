import { type Command, Option } from 'commander';
import { type EventFileFormat, ingestEventFile } from '../../import/event-file.ts';
import { dataDirOption } from '../options.ts';
import { maxRejectedOption, reportSummary, withImportRuntime } from './import.ts';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description(
      'ingest a file of events (JSON lines, or CSV with event field names as header) through the API validation and sink',
    )
    .argument(
      '<file>',
      'the events file: .jsonl/.ndjson/.json = one JSON event per line, .csv = header of event fields',
    )
    .addOption(
      new Option('--format <format>', 'file format (default: by extension)').choices(['jsonl', 'csv']),
    )
    .addOption(dataDirOption())
    .addOption(maxRejectedOption(0, 'lines'))
    .option('--json', 'print the summary as JSON instead of text')
    .addHelpText(
      'after',
      `
Each event is validated exactly as POST /v1/events validates it. Valid lines are ingested even when other
lines are not; rejected lines are listed with their line number and field errors.
CSV: nested fields as dotted columns (context.page, properties.color); empty cells are left out; value and
price are numbers.

Exit codes:
  0  ingested; rejected lines, if any, are listed and stay within --max-rejected (default 0: none)
  1  nothing ingested: the file is unreadable or its CSV header is not made of event fields
  2  more lines were rejected (listed) than --max-rejected allows; all the other lines WERE ingested`,
    )
    .action(
      async (
        file: string,
        opts: { dataDir: string; format?: EventFileFormat; maxRejected: number; json?: boolean },
      ) => {
        const summary = await withImportRuntime(opts.dataDir, 'ingest', 'bytes', (runtime, progress) =>
          ingestEventFile({
            file,
            runtime,
            ...(opts.format !== undefined ? { format: opts.format } : {}),
            onProgress: progress.update,
          }),
        );
        reportSummary(summary, opts);
      },
    );
}
