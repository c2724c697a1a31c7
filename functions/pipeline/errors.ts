/** Errors the state machine catches by name (ErrorEquals): one class per failure, with `cause`. */
export class PipelineInputError extends Error {
  override name = 'PipelineInputError';
}
export class EmptyLakeError extends Error {
  override name = 'EmptyLakeError';
}
export class ArtifactMissingError extends Error {
  override name = 'ArtifactMissingError';
}
export class PublishCountError extends Error {
  override name = 'PublishCountError';
}
export class NotApprovedError extends Error {
  override name = 'NotApprovedError';
}

export function requireString(input: Record<string, unknown>, field: string): string {
  const v = input[field];
  if (typeof v !== 'string' || v === '')
    throw new PipelineInputError(`input.${field} must be a non-empty string`);
  return v;
}

export function asObject(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new PipelineInputError('the task input must be a JSON object');
  return input as Record<string, unknown>;
}
