/**
 * Smoke test of a running recsys API: the four things a shop relies on right after a deploy.
 *
 *   node scripts/smoke-test.ts --url https://….execute-api….amazonaws.com/dev [--expect-version 0.1.0+abc123]
 *   (the key from RECSYS_API_KEY, or --api-key; the URL also from RECSYS_API_URL)
 *
 * Checks, in order: health → ingest one event → read that shopper's recommendations → read the OpenAPI document.
 * Every check runs even when an earlier one failed, so one run names everything that is broken; the exit code is 1
 * when any failed (2 for bad usage), and the last line names the failed checks. The pipeline runs it against each
 * stage after deploying (buildspec-smoke.yml); `npm test` runs it against the local server
 * (tests/integration/smoke-test.test.ts), so it is known to work before it runs there.
 *
 * No dependencies beyond Node, so that it runs wherever the pipeline has a Node 22.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

interface Options {
  url: string;
  apiKey: string;
  expectVersion: string | undefined;
  timeoutMs: number;
}

/** A check's failure: what was expected, what came back. */
class CheckFailed extends Error {}

/** Bad flags or environment: exit 2, with the usage. */
class UsageError extends Error {}

interface Check {
  name: string;
  run: (run: Run) => Promise<string>;
}

const USAGE =
  'usage: node scripts/smoke-test.ts --url URL [--api-key KEY] [--expect-version V] [--timeout-ms 30000]\n' +
  '       (or RECSYS_API_URL, RECSYS_API_KEY, RECSYS_EXPECT_VERSION in the environment)';

function options(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      'expect-version': { type: 'string' },
      'timeout-ms': { type: 'string' },
    },
    strict: true,
  });
  const url = values.url ?? env.RECSYS_API_URL;
  const apiKey = values['api-key'] ?? env.RECSYS_API_KEY;
  if (!url) throw new UsageError('the API URL is missing: pass --url or set RECSYS_API_URL');
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  if (!apiKey) throw new UsageError('the API key is missing: set RECSYS_API_KEY or pass --api-key');
  const timeoutMs = Number(values['timeout-ms'] ?? 30_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new UsageError(`--timeout-ms must be a positive integer, got "${values['timeout-ms']}"`);
  return {
    url: url.replace(/\/+$/, ''),
    apiKey,
    // Empty means not given: the pipeline passes its variable even when a manual run has none.
    expectVersion: (values['expect-version'] ?? env.RECSYS_EXPECT_VERSION) || undefined,
    timeoutMs,
  };
}

interface Reply {
  status: number;
  contentType: string;
  text: string;
}

function client(o: Options) {
  return async (path: string, init: { method?: string; body?: unknown; key?: boolean } = {}) => {
    const headers: Record<string, string> = {};
    if (init.key !== false) headers['x-api-key'] = o.apiKey;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const method = init.method ?? 'GET';
    let res: Response;
    try {
      res = await fetch(`${o.url}${path}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new CheckFailed(`${method} ${path}: no answer (${cause ?? (error as Error).message})`);
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  };
}

/** The JSON body of a reply with the expected status; anything else fails the check with what came back. */
function expectJson(reply: Reply, status: number, what: string): Record<string, unknown> {
  if (reply.status !== status)
    throw new CheckFailed(`${what}: expected ${status}, got ${reply.status}: ${reply.text.slice(0, 300)}`);
  try {
    const body = JSON.parse(reply.text) as unknown;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    return body as Record<string, unknown>;
  } catch {
    throw new CheckFailed(`${what}: the body is not a JSON object: ${reply.text.slice(0, 300)}`);
  }
}

type Call = ReturnType<typeof client>;

/** What the checks share: the client, the options and the one shopper and event of this run. */
interface Run {
  call: Call;
  o: Options;
  userId: string;
  eventId: string;
}

async function health({ call, o }: Run): Promise<string> {
  const body = expectJson(await call('/health', { key: false }), 200, 'GET /health');
  if (body.status !== 'ok') throw new CheckFailed(`GET /health: status is ${JSON.stringify(body.status)}`);
  if (o.expectVersion !== undefined && body.version !== o.expectVersion)
    throw new CheckFailed(
      `GET /health: version ${JSON.stringify(body.version)} is not the one built, ${o.expectVersion}`,
    );
  return `ok, ${String(body.runtime)} runtime, version ${String(body.version)}`;
}

async function ingest({ call, userId, eventId }: Run): Promise<string> {
  const event = {
    eventId,
    type: 'view',
    userId,
    itemId: 'smoke-test-item',
    timestamp: new Date(Date.now() - 1000).toISOString(),
    properties: { source: 'smoke-test' },
  };
  const reply = await call('/v1/events', { method: 'POST', body: { events: [event] } });
  const body = expectJson(reply, 202, 'POST /v1/events');
  if (body.accepted !== 1 || !Array.isArray(body.rejected) || body.rejected.length !== 0)
    throw new CheckFailed(
      `POST /v1/events: expected 1 accepted and none rejected, got ${JSON.stringify(body).slice(0, 300)}`,
    );
  return `event ${eventId} of shopper ${userId} accepted`;
}

/** The answer's shape: a shopper nobody trained on may get the fallback's popular items, or none on an empty shop. */
async function recommendations({ call, userId }: Run): Promise<string> {
  const path = `/v1/users/${encodeURIComponent(userId)}/recommendations?k=5`;
  const body = expectJson(await call(path), 200, `GET ${path}`);
  const problems: string[] = [];
  if (body.userId !== userId) problems.push(`userId is ${JSON.stringify(body.userId)}, not ${userId}`);
  if (typeof body.recommendationId !== 'string' || body.recommendationId === '')
    problems.push('recommendationId is missing');
  if (body.modelVersion !== null && typeof body.modelVersion !== 'string')
    problems.push(`modelVersion is ${JSON.stringify(body.modelVersion)}`);
  const items = Array.isArray(body.items) ? (body.items as Record<string, unknown>[]) : undefined;
  if (items === undefined) problems.push('items is not an array');
  else if (items.length > 5) problems.push(`${items.length} items for k=5`);
  items?.forEach((item, i) => {
    if (typeof item.itemId !== 'string') problems.push(`items[${i}].itemId is not a string`);
    if (typeof item.score !== 'number') problems.push(`items[${i}].score is not a number`);
    if (typeof item.reason !== 'string') problems.push(`items[${i}].reason is not a string`);
  });
  if (problems.length > 0 || items === undefined)
    throw new CheckFailed(`GET ${path}: ${problems.join('; ')}`);
  const reasons = [...new Set(items.map((item) => String(item.reason)))];
  return (
    `${items.length} items from model ${String(body.modelVersion)}` +
    (reasons.length > 0 ? ` (reasons: ${reasons.join(', ')})` : '')
  );
}

async function openapi({ call }: Run): Promise<string> {
  const reply = await call('/openapi.yaml');
  if (reply.status !== 200)
    throw new CheckFailed(
      `GET /openapi.yaml: expected 200, got ${reply.status}: ${reply.text.slice(0, 300)}`,
    );
  const version = /^openapi:\s*['"]?(3\.\d+\.\d+)/m.exec(reply.text)?.[1];
  if (version === undefined) throw new CheckFailed('GET /openapi.yaml: no `openapi: 3.x` line');
  // The document must describe the routes this smoke test just used.
  const missing = ['/health', '/v1/events', '/v1/users/{userId}/recommendations'].filter(
    (route) => !reply.text.includes(`${route}:`),
  );
  if (missing.length > 0) throw new CheckFailed(`GET /openapi.yaml: no path ${missing.join(', ')}`);
  return `OpenAPI ${version}, ${reply.text.length} bytes`;
}

const CHECKS: Check[] = [
  { name: 'health', run: health },
  { name: 'ingest', run: ingest },
  { name: 'recommendations', run: recommendations },
  { name: 'openapi', run: openapi },
];

async function main(): Promise<number> {
  let o: Options;
  try {
    o = options(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`smoke test: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  console.log(`smoke test of ${o.url}`);
  // One shopper and event per run, recognisable in the lake, so repeated runs never collide and can be filtered out.
  const runId = `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
  const run: Run = { call: client(o), o, userId: `smoke-test-${runId}`, eventId: randomUUID() };
  const failed: string[] = [];
  for (const check of CHECKS) {
    const started = performance.now();
    try {
      const detail = await check.run(run);
      console.log(`  ok    ${check.name} (${Math.round(performance.now() - started)} ms): ${detail}`);
    } catch (error) {
      failed.push(check.name);
      const message = error instanceof CheckFailed ? error.message : String((error as Error).stack ?? error);
      console.log(`  FAIL  ${check.name} (${Math.round(performance.now() - started)} ms): ${message}`);
    }
  }
  if (failed.length > 0) {
    console.error(`smoke test FAILED: ${failed.join(', ')}`);
    return 1;
  }
  console.log('smoke test passed: health, ingest, recommendations, openapi');
  return 0;
}

process.exitCode = await main();
