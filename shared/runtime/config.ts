/**
 * A setting this function needs is not in its environment: a deployment bug, so it fails the cold start (or the
 * local server's start) at once, naming every missing variable, instead of failing some later request.
 */
export class MissingSettingError extends Error {
  readonly names: readonly string[];
  constructor(names: readonly string[]) {
    super(
      `environment variable${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} required but not set`,
    );
    this.name = 'MissingSettingError';
    this.names = names;
  }
}

/** Reads the named settings now, all or nothing: the one way settings are read. */
export function readSettings<const N extends string>(
  names: readonly N[],
  env: NodeJS.ProcessEnv = process.env,
): Record<N, string> {
  const missing = names.filter((n) => env[n] === undefined || env[n] === '');
  if (missing.length > 0) throw new MissingSettingError(missing);
  return Object.fromEntries(names.map((n) => [n, env[n]])) as Record<N, string>;
}

/** One setting, by the same rule. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return readSettings([name], env)[name]!;
}
