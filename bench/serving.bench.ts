/**
 * Serving figures (printed, not asserted), one run against the local server with the Online Retail model:
 *  (a) throughput of GET /v1/users/{id}/recommendations against GET /health of the same server (closed loop,
 *      BENCH_CLIENTS keep-alive clients, BENCH_SECONDS each) — target ratio ≥ 0.5;
 *  (b) p50/p99 at BENCH_RATE requests/s for BENCH_OPEN_SECONDS (open loop: requests are sent on a fixed schedule
 *      whether or not earlier ones answered, so a slow server shows up as latency) — target p99 ≤ 10 ms, no errors;
 *  (c) the same after 20 fresh events per shopper (folded in on every request).
 * Every list served is recorded as an impression (raw/impressions, RECSYS_IMPRESSION_SAMPLE_RATE, default all), as
 * in production: the figures include that cost, and the end says how many lists the lake holds against those served.
 * Steady state: the newest model's precomputed lists are published and it is the champion before measuring.
 * (b) and (c) use disjoint shoppers, and the fresh events have fixed ids and timestamps (just after the model's
 * training data ends), so a rerun on the same data dir posts the same events again (ignored as duplicates by the
 * serving store) and (b) still measures shoppers with nothing fresh.
 * The server runs in a worker thread so the load generator does not share its event loop.
 * Data: BENCH_DATA_DIR (a data dir with the Online Retail lake and a trained model) or, by default, a temp dir
 * filled with `recsys import online-retail` and `recsys train --budget 60`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { dataDirLayout } from '../local/data-dir.ts';
import { readLakeZone } from '../shared/adapters/local/lake-reader.ts';
import { createLocalModelStore } from '../shared/adapters/local/model-store.ts';
import { createSqlitePublicationStore } from '../shared/adapters/local/sqlite-publication-store.ts';
import type { RecommendationLine } from '../shared/model/artifact.ts';
import { readJsonLineParts } from '../shared/model/artifact-decode.ts';
import { listExpiry } from '../shared/registry/list-expiry.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 30);
const API_KEY = 'bench-key';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function serverWorker(): Promise<void> {
  const { openLocalRuntime } = await import('../local/runtime.ts');
  const { startLocalServer } = await import('../local/server/http-server.ts');
  const { localRoutes } = await import('../local/server/routes.ts');
  const runtime = await openLocalRuntime({ dataDir: workerData.dataDir as string });
  const server = await startLocalServer({ routes: localRoutes(runtime, 'bench'), apiKey: API_KEY, port: 0 });
  parentPort!.postMessage({ url: server.url });
  parentPort!.on('message', async () => {
    await server.close();
    await runtime.close();
    parentPort!.postMessage({ closed: true });
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One GET with a keep-alive agent; resolves with the status (0 on a network error). */
function get(url: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${url}${path}`,
      {
        agent,
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          'x-api-key': API_KEY,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Recommendation lists requested (every one is an impression when the sample rate is 1). */
let listsRequested = 0;

async function closedLoop(
  url: string,
  path: (n: number) => string,
): Promise<{ rps: number; errors: number }> {
  let n = 0;
  let errors = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const status = await get(url, path(n++));
        if (status !== 200) errors++;
      }
    }),
  );
  return { rps: n / ((performance.now() - started) / 1000), errors };
}

async function openLoop(url: string, path: (n: number) => string) {
  const total = RATE * OPEN_SECONDS;
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Latency counts from when the request was due, so a backed-up client is charged to the server too; a
    // request sent up to 1 ms early (timer granularity) counts from its sending.
    const from = Math.min(due, performance.now());
    pending.push(
      get(url, path(i)).then((status) => {
        latencies.push(performance.now() - from);
        if (status !== 200) errors++;
      }),
    );
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, n: latencies.length };
}

async function prepare(): Promise<{ dataDir: string; temporary: boolean }> {
  const given = process.env.BENCH_DATA_DIR;
  const dataDir = given ?? (await mkdtemp(join(tmpdir(), 'recsys-bench-serving-')));
  const models = createLocalModelStore({ root: dataDirLayout(dataDir).models });
  if ((await models.list()).length === 0) {
    const cli = (args: string[]) =>
      execFileSync(process.execPath, [join(ROOT, 'local/cli/bin.js'), ...args, '--data-dir', dataDir], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    console.log(`importing Online Retail and training into ${dataDir} …`);
    cli(['import', 'online-retail', join(ROOT, 'data/online-retail/online_retail.parquet')]);
    cli(['train', '--budget', '60']);
  }
  // Publish the newest version's lists and make it the champion, as the retraining pipeline's last steps do.
  const version = (await models.list()).at(-1)!;
  const publications = createSqlitePublicationStore({ path: dataDirLayout(dataDir).servingDb });
  const read = (name: string) => models.read(version, name);
  const manifest = JSON.parse(new TextDecoder().decode(await read('manifest.json')));
  let batch: RecommendationLine[] = [];
  for await (const line of readJsonLineParts<RecommendationLine>(read, manifest, 'recommendations')) {
    batch.push(line);
    if (batch.length === 5000) {
      await publications.putRecommendations(version, batch, listExpiry(new Date()));
      batch = [];
    }
  }
  await publications.putRecommendations(version, batch, listExpiry(new Date()));
  const current = await publications.getDeployment();
  if (current?.champion !== version)
    await publications.putDeployment(
      {
        revision: (current?.revision ?? 0) + 1,
        champion: version,
        updatedAt: new Date().toISOString(),
        reason: 'bench',
      },
      current?.revision,
    );
  await publications.close();
  console.log(
    `model ${version}: ${manifest.model.kind}, ${fmt(manifest.shapes.users)} users × ${fmt(manifest.shapes.items)} items` +
      `${manifest.shapes.rank !== undefined ? `, rank ${manifest.shapes.rank}` : ''}`,
  );
  return { dataDir, temporary: given === undefined };
}

async function main(): Promise<void> {
  const { dataDir, temporary } = await prepare();
  const users = modelIds(dataDir, 'users.txt');
  // Counted while no server holds the data dir: every lake object is complete then.
  const before = await impressionCount(dataDir);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { dataDir } });
  const { url } = await new Promise<{ url: string }>((resolve) => worker.once('message', resolve));
  // The last `shoppers` users get fresh events in (c); (a) and (b) ask for the others.
  const shoppers = Math.min(Math.floor(users.length / 2), RATE * 2);
  const settled = users.slice(0, users.length - shoppers);
  const active = users.slice(users.length - shoppers);
  const userPath = (n: number) =>
    `/v1/users/${encodeURIComponent(settled[n % settled.length]!)}/recommendations?k=10`;
  // Warm up: the model is loaded on the first request, the JIT settles.
  for (let i = 0; i < 2000; i++) await get(url, userPath(i));

  const health = await closedLoop(url, () => '/health');
  const recs = await closedLoop(url, (n) => {
    listsRequested++;
    return userPath(n);
  });
  console.log(
    `throughput: GET /health ${fmt(health.rps)} req/s, GET recommendations ${fmt(recs.rps)} req/s — ratio ` +
      `${(recs.rps / health.rps).toFixed(2)} (target ≥ 0.5); ${CLIENTS} keep-alive clients, ${SECONDS} s each, ` +
      `errors ${health.errors + recs.errors}`,
  );

  const cold = await openLoop(url, (n) => {
    listsRequested++;
    return userPath(n);
  });
  console.log(
    `open loop ${fmt(RATE)} req/s × ${OPEN_SECONDS} s, no fresh events: p50 ${cold.p50.toFixed(2)} ms, ` +
      `p99 ${cold.p99.toFixed(2)} ms (target ≤ 10 ms), errors ${cold.errors} of ${fmt(cold.n)}`,
  );

  // 20 fresh events per shopper (views and carts of popular items, an hour after the model's trainedAt).
  const items = modelIds(dataDir, 'items.txt').slice(0, 500);
  const stamp = new Date(trainedAt(dataDir) + 3_600_000).toISOString();
  let id = 0;
  for (let s = 0; s < shoppers; s += 25) {
    const events: string[] = [];
    for (let u = s; u < Math.min(shoppers, s + 25); u++)
      for (let e = 0; e < 20; e++) {
        const eventId = `00000000-0000-4000-8000-${(id++).toString(16).padStart(12, '0')}`;
        events.push(
          JSON.stringify({
            eventId,
            type: e % 4 === 0 ? 'add_to_cart' : 'view',
            userId: active[u],
            itemId: items[(u * 7 + e * 13) % items.length],
            timestamp: stamp,
          }),
        );
      }
    const status = await get(url, '/v1/events', `[${events.join(',')}]`);
    if (status !== 202) throw new Error(`POST /v1/events answered ${status}`);
  }
  const freshPath = (n: number) =>
    `/v1/users/${encodeURIComponent(active[n % shoppers]!)}/recommendations?k=10`;
  for (let i = 0; i < 1000; i++) await get(url, freshPath(i));
  const fresh = await openLoop(url, (n) => {
    listsRequested++;
    return freshPath(n);
  });
  console.log(
    `open loop ${fmt(RATE)} req/s × ${OPEN_SECONDS} s, 20 fresh events per shopper folded in (${fmt(shoppers)} shoppers): ` +
      `p50 ${fresh.p50.toFixed(2)} ms, p99 ${fresh.p99.toFixed(2)} ms (target ≤ 10 ms), errors ${fresh.errors} of ${fmt(fresh.n)}`,
  );

  worker.postMessage('close');
  await new Promise((resolve) => worker.once('message', resolve));
  await worker.terminate();
  // The runtime's close flushed the impressions and completed the lake object.
  const recorded = (await impressionCount(dataDir)) - before;
  console.log(
    `impressions: ${fmt(recorded)} lists recorded in raw/impressions for ${fmt(listsRequested + 3000)} lists served ` +
      `(3,000 of them warm-up; sample rate ${process.env.RECSYS_IMPRESSION_SAMPLE_RATE ?? '1'})`,
  );
  agent.destroy();
  if (temporary) await rm(dataDir, { recursive: true, force: true });
}

async function impressionCount(dataDir: string): Promise<number> {
  let n = 0;
  for await (const _ of readLakeZone(dataDirLayout(dataDir).lake, 'raw/impressions')) n++;
  return n;
}

function newestModelDir(dataDir: string): string {
  const models = dataDirLayout(dataDir).models;
  const version = readdirSync(models)
    .filter((v) => !v.startsWith('.'))
    .sort()
    .at(-1)!;
  return join(models, version);
}

/** Ids of the newest model: its users (shoppers with precomputed lists) and the head of its items. */
function modelIds(dataDir: string, name: 'users.txt' | 'items.txt'): string[] {
  return readFileSync(join(newestModelDir(dataDir), name), 'utf8')
    .split('\n')
    .filter(Boolean);
}

/** Epoch ms of the newest training event (serving's trainedAt: activity after it is fresh). */
function trainedAt(dataDir: string): number {
  const trending = JSON.parse(readFileSync(join(newestModelDir(dataDir), 'trending.json'), 'utf8'));
  return Date.parse(trending.asOf);
}

if (isMainThread) await main();
else await serverWorker();
