/** Reads a required setting; a missing one is a deployment bug, so fail loudly at cold start. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '')
    throw new Error(`environment variable ${name} is required but not set`);
  return value;
}
