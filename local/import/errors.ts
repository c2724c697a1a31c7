/**
 * The input file itself cannot be imported (unreadable, missing columns, not the format it claims): nothing
 * sensible can be done row by row. The CLI prints the message and exits non-zero; bad rows are not errors of
 * this kind, they are counted and listed in the summary.
 */
export class ImportInputError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'ImportInputError';
    this.file = file;
  }
}
