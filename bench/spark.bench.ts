/**
 * Training wall time: the Spark job (spark-submit, local mode, whole job incl. JVM start, holdout fit, final
 * fit and artifact) beside the TS trainer's iALS (lake read + matrix build, then `trainIals` at the same rank
 * and iterations) on the same lake.
 *
 * Run: npx node bench/spark.bench.ts <lakeRoot> [rank=64] [iterations=10] [driverMemory=6g]
 *   Online Retail: npm run recsys -- import online-retail data/online-retail/online_retail.parquet --data-dir /tmp/or-spark
 *                  npx node bench/spark.bench.ts /tmp/or-spark/lake
 *   5M generated:  .venv/bin/python jobs/emr/generate_lake.py --out /tmp/gen5m/lake --events 5000000 --users 100000 --items 20000 --days 90 --segments 50
 *                  npx node bench/spark.bench.ts /tmp/gen5m/lake
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { trainWithSpark } from '../local/training/spark.ts';
import { trainIals } from '../shared/model/ials.ts';
import { buildInteractions, type InteractionRecord } from '../shared/model/interactions.ts';

const lakeRoot = process.argv[2];
if (lakeRoot === undefined)
  throw new Error('usage: npx node bench/spark.bench.ts <lakeRoot> [rank] [iterations]');
const rank = Number(process.argv[3] ?? 64);
const iterations = Number(process.argv[4] ?? 10);
const driverMemory = process.argv[5] ?? '6g';

async function* lakeRecords(root: string): AsyncGenerator<InteractionRecord> {
  const entries = await readdir(join(root, 'raw/events'), { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.gz')) continue;
    const text = gunzipSync(await readFile(join(e.parentPath, e.name))).toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const ev = JSON.parse(line);
      if (ev.userId === undefined || ev.itemId === undefined) continue;
      yield {
        eventId: ev.eventId,
        type: ev.type,
        userId: ev.userId,
        itemId: ev.itemId,
        value: ev.value,
        timestamp: ev.timestamp,
      };
    }
  }
}

const out = await mkdtemp(join(tmpdir(), 'spark-bench-'));
try {
  let t = performance.now();
  let last = '';
  const { artifactDir } = await trainWithSpark({
    lakeRoot,
    outDir: out,
    rank,
    iterations,
    driverMemory,
    onLine: (l) => {
      if (l.startsWith('[train_als]')) {
        console.log(`  spark ${((performance.now() - t) / 1000).toFixed(0).padStart(4)} s ${l}`);
        last = l;
      }
    },
  });
  const sparkSeconds = (performance.now() - t) / 1000;
  const manifest = JSON.parse(await readFile(join(artifactDir, 'manifest.json'), 'utf8'));
  void last;

  t = performance.now();
  const records: InteractionRecord[] = [];
  for await (const r of lakeRecords(lakeRoot)) records.push(r);
  const ix = buildInteractions(records);
  const loadSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  trainIals(ix.csr, ix.csc, {
    factors: rank,
    iterations,
    regularization: 1,
    alpha: 1,
    transform: 'log',
    seed: 42,
  });
  const ialsSeconds = (performance.now() - t) / 1000;

  const d = manifest.data;
  console.log(
    `\nlake ${lakeRoot}: ${d.events} events, ${d.users} users × ${d.items} items, ${d.interactions} pairs; rank ${rank}, ${iterations} iterations`,
  );
  console.log(
    `Spark job, local[${(await import('node:os')).availableParallelism()}] (JVM start, read, holdout fit, final fit, artifact): ${sparkSeconds.toFixed(1)} s (manifest trainingSeconds ${manifest.trainingSeconds})`,
  );
  console.log(
    `  holdout (${manifest.validation.split}, ${manifest.validation.users} users): Spark ALS nDCG@10 ${manifest.validation.model.ndcg.toFixed(4)}, popularity ${manifest.validation.baseline.ndcg.toFixed(4)}`,
  );
  console.log(
    `TS: lake read + matrix ${loadSeconds.toFixed(1)} s, trainIals ${ialsSeconds.toFixed(1)} s (one fit; the job fits twice: holdout + final)`,
  );
} finally {
  await rm(out, { recursive: true, force: true });
}
