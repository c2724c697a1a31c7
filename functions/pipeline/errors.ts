/**
 * The pipeline tasks' input parsing. A thrown error's name is what the execution history shows as the failed
 * state's Error (the state machine catches States.ALL, not names); errors of the use cases themselves
 * (EmptyLakeError, ArtifactMissingError …) live beside them in shared/registry.
 */
export class PipelineInputError extends Error {
  override name = 'PipelineInputError';
}
export class PublishCountError extends Error {
  override name = 'PublishCountError';
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
