import { randomUUID, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { EVENT_LIMITS } from '../../shared/domain/event.ts';
import type { Route } from './route.ts';

export interface LocalServerOptions {
  routes: Route[];
  apiKey: string;
  host?: string;
  port?: number;
  /** Files served as they are, without a key: from disk (`path`) or built in memory (`body`, the web pages). */
  staticFiles?: Record<string, StaticFile>;
}

export type StaticFile = { contentType: string } & ({ path: string } | { body: Uint8Array | string });

export interface LocalServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  params: string[];
}

function compile(route: Route): CompiledRoute {
  const params: string[] = [];
  const source = route.resource
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
      params.push(name);
      return '([^/]+)';
    });
  return { ...route, pattern: new RegExp(`^${source}$`), params };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

function keyMatches(given: string, expected: Buffer): boolean {
  const a = Buffer.from(given);
  return a.length === expected.length && timingSafeEqual(a, expected);
}

/** Reads the body up to `limit` bytes; past that answers 413 without buffering the rest. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      resolve('too_large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function lambdaContext(functionName: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The local stand-in for API Gateway (REST): routes requests to the same handlers Lambda runs, in the same
 * proxy event format, and enforces the API key the way a usage plan would (401 missing, 403 wrong).
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const routes = options.routes.map(compile);
  const staticFiles = options.staticFiles ?? {};
  const expectedKey = Buffer.from(options.apiKey);

  const server = createServer(async (req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const file = staticFiles[url.pathname];
      if (file !== undefined && (method === 'GET' || method === 'HEAD')) {
        res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-cache' });
        res.end('path' in file ? await readFile(file.path) : file.body);
        return;
      }
      const onPath = routes.filter((r) => r.pattern.test(url.pathname));
      if (onPath.length === 0) {
        send(res, 404, errorBody('not_found', `no route ${url.pathname}`));
        return;
      }
      const route = onPath.find((r) => r.method === method);
      if (route === undefined) {
        send(res, 405, errorBody('method_not_allowed', `${method} is not allowed on ${url.pathname}`), {
          allow: onPath.map((r) => r.method).join(', '),
        });
        return;
      }
      const apiKey = req.headers['x-api-key'];
      if (route.keyRequired) {
        if (typeof apiKey !== 'string' || apiKey === '') {
          send(res, 401, errorBody('unauthorized', 'missing x-api-key header'));
          return;
        }
        if (!keyMatches(apiKey, expectedKey)) {
          send(res, 403, errorBody('forbidden', 'the x-api-key is not valid'));
          return;
        }
      }
      const body = await readBody(req, EVENT_LIMITS.maxBodyBytes);
      if (body === 'too_large') {
        send(
          res,
          413,
          errorBody('payload_too_large', `the body exceeds ${EVENT_LIMITS.maxBodyBytes} bytes`),
          {
            connection: 'close',
          },
        );
        return;
      }
      // Still percent-encoded, as API Gateway (REST) hands them over: the handlers decode and check them
      // (shared/runtime/http.ts pathParam), so a malformed escape is their 400, not this server's 500.
      const match = route.pattern.exec(url.pathname)!;
      const pathParameters: Record<string, string> = {};
      route.params.forEach((name, i) => {
        pathParameters[name] = match[i + 1]!;
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const query: Record<string, string> = {};
      const multiQuery: Record<string, string[]> = {};
      for (const [k, v] of url.searchParams) {
        query[k] = v;
        const values = multiQuery[k];
        if (values === undefined) multiQuery[k] = [v];
        else values.push(v);
      }
      const event = {
        resource: route.resource,
        path: url.pathname,
        httpMethod: method,
        headers,
        multiValueHeaders: {},
        queryStringParameters: url.searchParams.size > 0 ? query : null,
        multiValueQueryStringParameters: url.searchParams.size > 0 ? multiQuery : null,
        pathParameters: route.params.length > 0 ? pathParameters : null,
        stageVariables: null,
        body: body.length > 0 ? body.toString('utf8') : null,
        isBase64Encoded: false,
        requestContext: {
          requestId,
          resourcePath: route.resource,
          httpMethod: method,
          path: url.pathname,
          stage: 'local',
          identity: {
            apiKey: typeof apiKey === 'string' ? apiKey : null,
            sourceIp: req.socket.remoteAddress ?? '',
          },
        },
      } as unknown as APIGatewayProxyEvent;
      const functionName = `recsys-local-${method.toLowerCase()}${route.resource.replace(/[^\w]+/g, '-')}`;
      const result = await route.handler(event, lambdaContext(functionName, requestId));
      res.writeHead(result.statusCode, result.headers as Record<string, string> | undefined);
      res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
    } catch (error) {
      // Handlers turn their own errors into responses; reaching here is a bug in the server itself.
      console.error(`[${requestId}]`, error);
      if (!res.headersSent)
        send(res, 500, { error: { code: 'internal', message: 'internal error', requestId } });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
