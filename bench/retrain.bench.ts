/**
 * Retraining figure (printed, not asserted): statemachines/retrain.asl.yml executed locally on Online Retail —
 * import into a fresh data directory, then one `recsys retrain` run, with every state's duration and the total.
 * Settings: BENCH_BUDGET (the TypeScript trainer's search budget, default 10 s, as `recsys retrain`),
 * BENCH_ENGINE (typescript | spark), BENCH_DATA_DIR (reuse a data dir holding an imported lake; runs there).
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDirLayout } from '../local/data-dir.ts';
import { importOnlineRetail } from '../local/import/online-retail.ts';
import { runRetrainLocally } from '../local/pipeline/retrain.ts';
import { openLocalRuntime } from '../local/runtime.ts';

const BUDGET = Number(process.env.BENCH_BUDGET ?? 10);
const ENGINE = (process.env.BENCH_ENGINE ?? 'typescript') as 'typescript' | 'spark';
const ONLINE_RETAIL = fileURLToPath(new URL('../data/online-retail/online_retail.parquet', import.meta.url));

const dataDir = await mkdtemp(join(tmpdir(), 'recsys-bench-retrain-'));
try {
  if (process.env.BENCH_DATA_DIR !== undefined) {
    // A fresh run directory over the given lake: no earlier run or registry entry makes this one a no-op.
    await symlink(dataDirLayout(process.env.BENCH_DATA_DIR).lake, dataDirLayout(dataDir).lake);
  } else {
    const t0 = performance.now();
    const runtime = await openLocalRuntime({ dataDir, bulk: true });
    await importOnlineRetail({ file: ONLINE_RETAIL, runtime });
    await runtime.close();
    console.log(`import of Online Retail: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const run = await runRetrainLocally({ dataDir, engine: ENGINE, budgetSeconds: BUDGET });
  const byState = new Map<string, number>();
  for (const s of run.states) byState.set(s.name, (byState.get(s.name) ?? 0) + s.seconds);
  console.log(
    `retrain (engine ${ENGINE}, budget ${BUDGET} s): ${run.status} at ${run.outcome}, model ${run.modelVersion}`,
  );
  for (const [name, seconds] of byState)
    if (seconds >= 0.005) console.log(`  ${name.padEnd(22)} ${seconds.toFixed(2).padStart(8)} s`);
  console.log(`  ${'total'.padEnd(22)} ${run.seconds.toFixed(2).padStart(8)} s  (target ≤ 60 s)`);
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
