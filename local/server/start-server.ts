import { buildWeb } from '../../scripts/build-web.ts';
import { CliError } from '../cli/errors.ts';
import { VERSION } from '../cli/version.ts';
import { localApiKey, openLocalRuntime } from '../runtime.ts';
import { type LocalServer, startLocalServer } from './http-server.ts';
import { localRoutes } from './routes.ts';

export interface ServeOptions {
  dataDir: string;
  port: number;
  host: string;
  apiKey?: string | undefined;
}

/**
 * Starts the whole local system (`recsys serve`, and `npm start` after its first-run import) and keeps it running
 * until SIGINT/SIGTERM, then shuts down cleanly. When it cannot listen, it lets the data directory go before
 * saying why, so the next command on that directory is not refused.
 */
export async function serve(options: ServeOptions): Promise<void> {
  const runtime = await openLocalRuntime({ dataDir: options.dataDir });
  let key: { key: string; generated: boolean };
  let server: LocalServer;
  try {
    key =
      options.apiKey !== undefined
        ? { key: options.apiKey, generated: false }
        : await localApiKey(runtime.dataDir);
    server = await startLocalServer({
      routes: localRoutes(runtime, VERSION),
      apiKey: key.key,
      host: options.host,
      port: options.port,
      // The storefront and console, bundled here from web/ (esbuild, in memory) and served without a key.
      staticFiles: await buildWeb(),
    });
  } catch (error) {
    // The runtime's worker threads and timers would keep the process alive, holding the data directory's lock.
    await runtime.close();
    throw listenError(error, options) ?? error;
  }
  console.log(`recsys ${VERSION} listening on ${server.url}`);
  console.log(`data directory: ${runtime.dataDir}`);
  console.log(`API key${key.generated ? ' (generated, saved in the data directory)' : ''}: ${key.key}`);
  console.log(`try: curl -H 'x-api-key: ${key.key}' ${server.url}/v1/items/85123A`);
  console.log(`console: ${server.url}/console`);
  console.log(`open the storefront: ${server.url}/`);

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

/** What a user can do about a socket that would not listen, or undefined for anything else. */
function listenError(error: unknown, { host, port }: ServeOptions): CliError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message =
    code === 'EADDRINUSE'
      ? `port ${port} is in use; set PORT or --port`
      : code === 'EACCES'
        ? `port ${port} needs privileges this user lacks; set PORT or --port above 1023`
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? `cannot listen on ${host}:${port}: ${host} is not an address of this machine; set --host`
          : undefined;
  return message === undefined ? undefined : new CliError(message, 1, { cause: error });
}
