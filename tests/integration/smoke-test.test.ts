import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../local/cli/version.ts';
import { openLocalRuntime } from '../../local/runtime.ts';
import { readLakeZone } from '../../shared/adapters/local/lake-reader.ts';
import { freePort, type Started, startProcess } from '../helpers/processes.ts';
import { KNN, publishTestModel } from '../helpers/serving-model.ts';

const SMOKE = join(process.cwd(), 'scripts', 'smoke-test.ts');
const KEY = 'smoke-key-0123456789';
const MODEL = '20240301T000000Z-0000a001';

interface Run {
  code: number;
  output: string;
}

/** Runs scripts/smoke-test.ts as the pipeline does: a child process, settings in the environment or flags. */
function smoke(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { RECSYS_API_KEY: _k, RECSYS_API_URL: _u, RECSYS_EXPECT_VERSION: _v, ...rest } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SMOKE, ...args],
      { env: { ...rest, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/**
 * The pipeline's smoke test, proven here against `recsys serve` (the real local server, in its own process) before
 * it runs against a deployed stage. The data directory holds a published model, so "read its recommendations" is
 * answered by a serving model rather than by an empty store.
 */
describe('scripts/smoke-test.ts against the local server', () => {
  let dataDir: string;
  let server: Started | undefined;
  let url: string;

  beforeAll(async () => {
    // Prepare: a model published and activated, as retraining leaves it
    dataDir = await mkdtemp(join(tmpdir(), 'recsys-smoke-'));
    const runtime = await openLocalRuntime({ dataDir });
    await publishTestModel(dataDir, runtime.publications, MODEL, KNN);
    await runtime.publications.putDeployment(
      { revision: 1, champion: MODEL, updatedAt: new Date().toISOString(), reason: 'test' },
      undefined,
    );
    await runtime.close();
    const port = await freePort();
    const { RECSYS_API_KEY: _ignored, ...env } = process.env;
    server = startProcess(
      process.execPath,
      ['local/cli/bin.js', 'serve', '--port', String(port), '--api-key', KEY, '--data-dir', dataDir],
      env,
    );
    [, url] = (await server.waitFor(/listening on (http:\/\/\S+)/, 60_000)) as [string, string];
  }, 120_000);

  afterAll(async () => {
    if (server !== undefined) {
      server.kill('SIGTERM');
      await server.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('passes all four checks, and the event it sent is in the lake', async () => {
    // Act
    const run = await smoke(['--url', url, '--expect-version', VERSION], { RECSYS_API_KEY: KEY });

    // Assess
    expect(run.output).toMatch(new RegExp(`ok +health \\(\\d+ ms\\): ok, local runtime, version ${VERSION}`));
    const ingested = run.output.match(
      /ok +ingest \(\d+ ms\): event ([0-9a-f-]{36}) of shopper (smoke-test-\S+) accepted/,
    );
    expect(ingested, run.output).not.toBeNull();
    // A shopper the model never saw: the answer comes from the published model's popular items, 5 of them.
    expect(run.output).toMatch(
      new RegExp(`ok +recommendations \\(\\d+ ms\\): 5 items from model ${MODEL} \\(reasons: [a-z_, -]+\\)`),
    );
    expect(run.output).toMatch(/ok +openapi \(\d+ ms\): OpenAPI 3\.1\.0, \d+ bytes/);
    expect(run.output).toMatch(/smoke test passed: health, ingest, recommendations, openapi/);
    expect(run.code).toBe(0);

    // The lake holds the acknowledged event once the server has flushed on shutdown.
    server!.kill('SIGTERM');
    expect(await server!.exited).toBe(0);
    server = undefined;
    const landed: Record<string, unknown>[] = [];
    for await (const e of readLakeZone(join(dataDir, 'lake'), 'raw/events'))
      landed.push(e as Record<string, unknown>);
    expect(landed).toEqual([
      expect.objectContaining({
        eventId: ingested![1],
        userId: ingested![2],
        type: 'view',
        itemId: 'smoke-test-item',
        properties: { source: 'smoke-test' },
      }),
    ]);
  });
});

describe('scripts/smoke-test.ts failing', () => {
  let server: Started;
  let url: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'recsys-smoke-fail-'));
    const port = await freePort();
    const { RECSYS_API_KEY: _ignored, ...env } = process.env;
    server = startProcess(
      process.execPath,
      ['local/cli/bin.js', 'serve', '--port', String(port), '--api-key', KEY, '--data-dir', dataDir],
      env,
    );
    [, url] = (await server.waitFor(/listening on (http:\/\/\S+)/, 60_000)) as [string, string];
  }, 120_000);

  afterAll(async () => {
    server.kill('SIGTERM');
    await server.exited;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exits 1 naming the checks a wrong API key fails, and passes the ones that need no key', async () => {
    // Act
    const run = await smoke(['--url', url], { RECSYS_API_KEY: 'not-the-key' });

    // Assess
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/ok +health/);
    expect(run.output).toMatch(/FAIL +ingest \(\d+ ms\): POST \/v1\/events: expected 202, got 403/);
    expect(run.output).toMatch(
      /FAIL +recommendations \(\d+ ms\): GET \/v1\/users\/smoke-test-\S+: expected 200, got 403/,
    );
    expect(run.output).toMatch(/ok +openapi/);
    expect(run.output.trimEnd().split('\n').at(-1)).toBe('smoke test FAILED: ingest, recommendations');
  });

  it('fails the health check when the API runs another version than the one built', async () => {
    const run = await smoke(['--url', url, '--api-key', KEY, '--expect-version', `${VERSION}+0123456789ab`]);

    expect(run.code).toBe(1);
    expect(run.output).toContain(`FAIL  health`);
    expect(run.output).toContain(`version "${VERSION}" is not the one built, ${VERSION}+0123456789ab`);
    expect(run.output.trimEnd().split('\n').at(-1)).toBe('smoke test FAILED: health');
  });

  it('names every check when nothing answers at the URL', async () => {
    const closed = await freePort();

    const run = await smoke(['--url', `http://127.0.0.1:${closed}`], { RECSYS_API_KEY: KEY });

    expect(run.code).toBe(1);
    expect(run.output).toMatch(/FAIL +health \(\d+ ms\): GET \/health: no answer \(ECONNREFUSED\)/);
    expect(run.output.trimEnd().split('\n').at(-1)).toBe(
      'smoke test FAILED: health, ingest, recommendations, openapi',
    );
  });

  it('exits 2 with the usage when the URL or the key is missing', async () => {
    const noUrl = await smoke([], { RECSYS_API_KEY: KEY });
    const noKey = await smoke(['--url', url]);
    const badFlag = await smoke(['--url', url, '--api-key', KEY, '--bogus']);

    expect(noUrl.code).toBe(2);
    expect(noUrl.output).toMatch(/the API URL is missing: pass --url or set RECSYS_API_URL\nusage:/);
    expect(noKey.code).toBe(2);
    expect(noKey.output).toContain('the API key is missing: set RECSYS_API_KEY or pass --api-key');
    expect(badFlag.code).toBe(2);
    expect(badFlag.output).toContain("Unknown option '--bogus'");
  });
});
