import { fileURLToPath } from 'node:url';
import { VERSION } from './cli/version.ts';
import { localApiKey, openLocalRuntime } from './runtime.ts';
import { startLocalServer } from './server/http-server.ts';
import { localRoutes } from './server/routes.ts';

export interface ServeOptions {
  dataDir: string;
  port: number;
  host: string;
  apiKey?: string | undefined;
}

const openapiPath = fileURLToPath(new URL('../openapi.yaml', import.meta.url));

/** Starts the whole local system and keeps it running until SIGINT/SIGTERM, then shuts down cleanly. */
export async function serve(options: ServeOptions): Promise<void> {
  const runtime = await openLocalRuntime({ dataDir: options.dataDir });
  const key =
    options.apiKey !== undefined
      ? { key: options.apiKey, generated: false }
      : await localApiKey(runtime.dataDir);
  const server = await startLocalServer({
    routes: localRoutes(runtime, VERSION),
    apiKey: key.key,
    host: options.host,
    port: options.port,
    staticFiles: { '/openapi.yaml': { path: openapiPath, contentType: 'application/yaml' } },
  });
  console.log(`recsys ${VERSION} listening on ${server.url}`);
  console.log(`data directory: ${runtime.dataDir}`);
  console.log(`API key${key.generated ? ' (generated, saved in the data directory)' : ''}: ${key.key}`);
  console.log(`try: curl -H 'x-api-key: ${key.key}' ${server.url}/v1/items/85123A`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: shutting down`);
      await server.close();
      await runtime.close();
      resolve();
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}
