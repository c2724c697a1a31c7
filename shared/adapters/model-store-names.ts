/**
 * The names both model stores accept, so that a version written to one can be written to the other: a version is
 * one path segment that does not start with a dot (the local store hides dot-directories, its temporary ones
 * among them); a file name is a relative path of plain segments (`recommendations/part-00000.jsonl`).
 */
const VERSION = /^[\w-][\w.-]*$/;

export function checkModelVersion(version: string): void {
  if (!VERSION.test(version)) throw new Error(`not a valid model version: ${version}`);
}

export function checkArtifactFileName(name: string): void {
  if (name.startsWith('/') || name.split('/').some((p) => p === '..' || p === '' || p === '.'))
    throw new Error(`not a valid artifact file name: ${name}`);
}

/** The error both stores give for a file that is not there. */
export function fileNotFound(name: string, location: string): Error {
  return new Error(`${name} not found in ${location}`);
}
