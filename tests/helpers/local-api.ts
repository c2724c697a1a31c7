import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, openLocalRuntime } from '../../local/runtime.ts';
import { type LocalServer, startLocalServer } from '../../local/server/http-server.ts';
import { localRoutes } from '../../local/server/routes.ts';

export const TEST_API_KEY = 'test-key-0123456789';

/** The local API in this process: real lake writer and sqlite store in a temp data directory. */
export async function startLocalApi(): Promise<{
  url: string;
  runtime: LocalRuntime;
  server: LocalServer;
  request(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  stop(): Promise<void>;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'recsys-api-'));
  const runtime = await openLocalRuntime({ dataDir });
  const server = await startLocalServer({
    routes: localRoutes(runtime, 'test'),
    apiKey: TEST_API_KEY,
    port: 0,
    staticFiles: {
      '/openapi.yaml': { path: join(process.cwd(), 'openapi.yaml'), contentType: 'application/yaml' },
    },
  });
  return {
    url: server.url,
    runtime,
    server,
    request(path, init = {}) {
      const { key = TEST_API_KEY, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set('x-api-key', key);
      if (rest.body !== undefined && !headers.has('content-type'))
        headers.set('content-type', 'application/json');
      return fetch(`${server.url}${path}`, { ...rest, headers });
    },
    async stop() {
      await server.close();
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The shapes API responses take, loosely: tests assert on the values. */
export interface ApiBody {
  accepted: number;
  upserted: number;
  rejected: unknown[];
  unavailable: unknown[];
  title: string;
  modelVersion: string | null;
  items: { itemId: string; score: number; reason: string }[];
  error: { code: string; message: string; details: { path: string; message: string }[] };
}

export async function bodyOf(res: Response): Promise<ApiBody> {
  return (await res.json()) as ApiBody;
}
