/**
 * Training wall time: the Spark job (spark-submit, local mode, whole job incl. JVM start, holdout fit, final
 * fit and artifact) beside the TS trainer's iALS (lake read + matrix build, then `trainIals` at the same rank
 * and iterations) on the same lake.
 *
 * Run: npx node bench/spark.bench.ts <lakeRoot> [rank=64] [iterations=10] [driverMemory=6g] [--against REV] [--no-ts]
 *   --against REV  also runs the job as it was at git revision REV on the same lake, right before this one, and
 *                  prints the ratio: on a shared machine absolute seconds drift with the load, a same-run ratio
 *                  much less. The load average is printed beside each run.
 *   --no-ts        skips the TypeScript trainer.
 *   Online Retail: npm run recsys -- import online-retail data/online-retail/online_retail.parquet --data-dir /tmp/or-spark
 *                  npx node bench/spark.bench.ts /tmp/or-spark/lake
 *   5M generated:  .venv/bin/python jobs/emr/generate_lake.py --out /tmp/gen5m/lake --events 5000000 --users 100000 --items 20000 --days 90 --segments 50
 *                  npx node bench/spark.bench.ts /tmp/gen5m/lake
 *   With baskets:  the same generator with --baskets (orderIds and searches: the complements and search follow-ups)
 *   With a catalog: and --catalog (raw/items/, colour variants bought together: the near-substitute test)
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { trainWithSpark } from '../local/training/spark.ts';
import type { ArtifactManifest } from '../shared/model/artifact.ts';
import { trainIals } from '../shared/model/ials.ts';
import { buildInteractions, type InteractionRecord } from '../shared/model/interactions.ts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { against: { type: 'string' }, 'no-ts': { type: 'boolean', default: false } },
});
const lakeArg = positionals[0];
if (lakeArg === undefined)
  throw new Error(
    'usage: npx node bench/spark.bench.ts <lakeRoot> [rank] [iterations] [driverMemory] [--against REV] [--no-ts]',
  );
const lakeRoot: string = lakeArg;
const rank = Number(positionals[1] ?? 64);
const iterations = Number(positionals[2] ?? 10);
const driverMemory = positionals[3] ?? '6g';

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

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

interface SparkRun {
  label: string;
  seconds: number;
  loadBefore: string;
  loadAfter: string;
  manifest: ArtifactManifest;
}

async function runSpark(label: string, jobPath?: string): Promise<SparkRun> {
  const out = await mkdtemp(join(tmpdir(), 'spark-bench-'));
  try {
    const loadBefore = load();
    const t = performance.now();
    const { artifactDir } = await trainWithSpark({
      lakeRoot,
      outDir: out,
      rank,
      iterations,
      driverMemory,
      ...(jobPath !== undefined ? { jobPath } : {}),
      onLine: (l) => {
        if (l.startsWith('[train_als]'))
          console.log(`  ${label} ${((performance.now() - t) / 1000).toFixed(0).padStart(4)} s ${l}`);
      },
    });
    const seconds = (performance.now() - t) / 1000;
    const manifest = JSON.parse(
      await readFile(join(artifactDir, 'manifest.json'), 'utf8'),
    ) as ArtifactManifest;
    return { label, seconds, loadBefore, loadAfter: load(), manifest };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

function describeRun(r: SparkRun): string {
  const v = r.manifest.validation;
  return (
    `${r.label}: ${r.seconds.toFixed(1)} s (manifest trainingSeconds ${r.manifest.trainingSeconds}); ` +
    `load average ${r.loadBefore} before, ${r.loadAfter} after; holdout (${v.split}, ${v.users} users) ` +
    `Spark ALS nDCG@10 ${v.model.ndcg.toFixed(4)}, popularity ${v.baseline.ndcg.toFixed(4)}; ` +
    `complements for ${r.manifest.complements?.items ?? 0} items from ${r.manifest.complements?.baskets ?? 0} baskets, ` +
    `${r.manifest.data.searchFollowUps ?? 0} search follow-ups`
  );
}

const runs: SparkRun[] = [];
let scratch: string | undefined;
try {
  if (flags.against !== undefined) {
    // The job as it was at REV, run first so that a load that builds up during the bench hurts this one.
    scratch = await mkdtemp(join(tmpdir(), 'spark-bench-job-'));
    const oldJob = join(scratch, 'train_als.py');
    await writeFile(oldJob, execFileSync('git', ['show', `${flags.against}:jobs/emr/train_als.py`]));
    // Its modules too, where REV has them (trainWithSpark ships what lies beside the job).
    const modules = execFileSync('git', ['ls-tree', '--name-only', flags.against, 'jobs/emr/baskets.py'])
      .toString()
      .trim();
    if (modules !== '')
      await writeFile(
        join(scratch, 'baskets.py'),
        execFileSync('git', ['show', `${flags.against}:${modules}`]),
      );
    runs.push(await runSpark(`job@${flags.against}`, oldJob));
  }
  runs.push(await runSpark('job'));
} finally {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
}

const d = runs[runs.length - 1]?.manifest.data;
console.log(
  `\nlake ${lakeRoot}: ${d?.events} events, ${d?.users} users × ${d?.items} items, ${d?.interactions} pairs; rank ${rank}, ${iterations} iterations`,
);
console.log(
  `Spark job, local[${availableParallelism()}] (JVM start, read, holdout fit, final fit, artifact):`,
);
for (const r of runs) console.log(`  ${describeRun(r)}`);
if (runs.length === 2) {
  const [before, after] = runs as [SparkRun, SparkRun];
  console.log(
    `  ratio job / job@${flags.against}: ${(after.seconds / before.seconds).toFixed(3)} (${(before.seconds / after.seconds).toFixed(2)}× faster)`,
  );
}

if (!flags['no-ts']) {
  let t = performance.now();
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
  console.log(
    `TS: lake read + matrix ${loadSeconds.toFixed(1)} s, trainIals ${ialsSeconds.toFixed(1)} s (one fit; the job fits twice: holdout + final)`,
  );
}
