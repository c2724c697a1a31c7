/**
 * Ingestion figures (printed, not asserted):
 *  (a) POST /v1/events on the local server — batches of 500 valid events from a few keep-alive clients (in a
 *      worker thread, so the load generator's CPU is not the server's) — median of 3 runs, each on a fresh server;
 *  (b) the Online Retail import (541,909 lines) — median of 3 runs.
 * Settings: BENCH_SECONDS (default 10), BENCH_CLIENTS (default 4), BENCH_RUNS (default 3).
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { VERSION } from '../local/cli/version.ts';
import { importOnlineRetail } from '../local/import/online-retail.ts';
import { openLocalRuntime } from '../local/runtime.ts';
import { startLocalServer } from '../local/server/http-server.ts';
import { localRoutes } from '../local/server/routes.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BATCH = 500;
const ONLINE_RETAIL = fileURLToPath(new URL('../data/online-retail/online_retail.parquet', import.meta.url));

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface LoadResult {
  latencies: number[];
  accepted: number;
  failures: number;
  elapsed: number;
}

/**
 * The load generator. It runs in a worker thread: building 500-event bodies and reading the answers is real
 * CPU work, and on the server's thread it would be counted against the server (a real shop's clients are not
 * in the recommender's process).
 */
async function loadWorker(): Promise<void> {
  const { url, apiKey, seconds, clients } = workerData as {
    url: string;
    apiKey: string;
    seconds: number;
    clients: number;
  };
  // Every event unique (eventId from a counter): the activity store's dedupe must not make the figure cheaper.
  let next = 0;
  const stamp = new Date().toISOString();
  function body(): string {
    const events: string[] = [];
    for (let i = 0; i < BATCH; i++) {
      const n = next++;
      const id = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
      events.push(
        `{"eventId":"${id}","type":"${n % 10 === 0 ? 'purchase' : 'view'}","userId":"u${n % 5000}","itemId":"i${(n * 7) % 20000}","timestamp":"${stamp}","context":{"page":"product"}}`,
      );
    }
    return `[${events.join(',')}]`;
  }

  const latencies: number[] = [];
  let accepted = 0;
  let failures = 0;
  const deadline = performance.now() + seconds * 1000;
  async function client(): Promise<void> {
    while (performance.now() < deadline) {
      const payload = body();
      const t = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: payload,
      });
      const result = (await res.json()) as { accepted?: number };
      latencies.push(performance.now() - t);
      if (res.status === 202 && result.accepted === BATCH) accepted += BATCH;
      else failures++;
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const elapsed = (performance.now() - started) / 1000;
  parentPort!.postMessage({ latencies, accepted, failures, elapsed } satisfies LoadResult);
}

/** One load run against a fresh server and data directory. */
async function httpRun(): Promise<LoadResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'recsys-bench-http-'));
  const runtime = await openLocalRuntime({ dataDir });
  const apiKey = 'bench-key';
  const server = await startLocalServer({ routes: localRoutes(runtime, VERSION), apiKey, port: 0 });
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { url: `${server.url}/v1/events`, apiKey, seconds: SECONDS, clients: CLIENTS },
  });
  const { latencies, accepted, failures, elapsed } = await new Promise<LoadResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  await server.close();
  await runtime.close();
  await rm(dataDir, { recursive: true, force: true });
  return { latencies, accepted, failures, elapsed };
}

async function benchHttp(): Promise<void> {
  const runs: (LoadResult & { rate: number })[] = [];
  for (let run = 0; run < RUNS; run++) {
    const result = await httpRun();
    const { latencies, accepted, failures, elapsed } = result;
    latencies.sort((a, b) => a - b);
    const rate = accepted / elapsed;
    runs.push({ ...result, rate });
    console.log(
      `  run ${run + 1}: ${fmt(rate)} events/s, ${fmt(accepted)} events in ${fmt(latencies.length)} requests, ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms` +
        `${failures > 0 ? `, ${failures} requests NOT fully accepted` : ''}`,
    );
  }
  runs.sort((a, b) => a.rate - b.rate);
  const median = runs[Math.floor(runs.length / 2)]!;
  console.log(
    `POST /v1/events: ${fmt(median.rate)} events/s median of ${RUNS} (target ≥ 50,000) — ${CLIENTS} keep-alive ` +
      `clients, batches of ${BATCH}, ${SECONDS} s a run; that run's request latency p50 ` +
      `${percentile(median.latencies, 50).toFixed(1)} ms, p99 ${percentile(median.latencies, 99).toFixed(1)} ms ` +
      '(durable: every 202 follows gzip + fsync of the lake object; the clients run in a worker thread)',
  );
}

async function benchImport(): Promise<void> {
  try {
    await access(ONLINE_RETAIL);
  } catch {
    console.log(`Online Retail import: skipped — ${ONLINE_RETAIL} is absent`);
    return;
  }
  const runs: { wall: number; rows: number; importMs: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'recsys-bench-import-'));
    const t = performance.now();
    const runtime = await openLocalRuntime({ dataDir, bulk: true });
    const summary = await importOnlineRetail({ file: ONLINE_RETAIL, runtime });
    await runtime.close();
    const wall = performance.now() - t;
    await rm(dataDir, { recursive: true, force: true });
    runs.push({ wall, rows: summary.rowsRead, importMs: summary.elapsedMs });
    console.log(
      `  run ${run + 1}: ${fmt(summary.rowsRead / (wall / 1000))} lines/s (${(wall / 1000).toFixed(2)} s with open/close; ` +
        `${summary.events} events, ${summary.items} items, ${summary.rejectedRows} rejected)`,
    );
  }
  runs.sort((a, b) => a.wall - b.wall);
  const median = runs[Math.floor(runs.length / 2)]!;
  console.log(
    `Online Retail import: ${fmt(median.rows / (median.wall / 1000))} lines/s median of ${RUNS} (target ≥ 100,000) — ` +
      `${fmt(median.rows)} lines in ${(median.wall / 1000).toFixed(2)} s`,
  );
}

if (isMainThread) {
  console.log(
    `ingest benchmark — Node ${process.version}, ${(await import('node:os')).availableParallelism()} cores`,
  );
  await benchHttp();
  await benchImport();
} else {
  await loadWorker();
}
