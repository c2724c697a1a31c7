/**
 * Training figures.
 *  1. Wall time per model on Online Retail (the README split's training part: 3,616 users × 3,508 items,
 *     188,848 pairs), median of `repeats` runs, on 1 thread and on the machine's threads for the models that
 *     use workers (EASE's blocked inverse, iALS half-steps).
 *  2. iALS against `implicit` (the reference CPU implementation, conjugate gradient, pip wheel), on Online
 *     Retail and on a generated 5M-interaction / 200k-user / 50k-item matrix with planted structure: the same
 *     matrix, confidences, factors (64), iterations, regularisation, CG steps (3) and thread count. Each
 *     trainer runs in its own process (bench/peers/) so the peak RSS printed is its own. Seconds per
 *     iteration are the median over the iterations of one fit. Targets (issue 15): time ratio ≤ 1.0, peak
 *     RSS ≤ 1.2× implicit's.
 *  3. EASE alone (trainEase), its inverse on the JavaScript loops (the path before the SIMD kernels,
 *     `simd: false`) and on the WebAssembly SIMD kernels, same run, 1 thread and the machine's threads.
 *     Target: ≥ 3× faster.
 * Run: npx node bench/train.bench.ts [repeats=3]   (BENCH_ITERATIONS, BENCH_THREADS, BENCH_SKIP_MODELS=1,
 *      BENCH_PYTHON=path/to/python: a Python that already has bench/requirements.txt's peers, used as is
 *      instead of syncing .venv; BENCH_SETS=online-retail or planted: only that comparison of section 2)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { trainEase, transformValue } from '../shared/model/ease.ts';
import { defaultThreads, shutdownPool } from '../shared/model/parallel.ts';
import type { Csr } from '../shared/model/sparse.ts';
import type { BaseSpec } from '../shared/model/trained-model.ts';
import { fitModel } from '../shared/model/trained-model.ts';
import { loadOnlineRetail } from './lib/online-retail-split.ts';
import { plantedMatrix } from './lib/planted.ts';
import { bundleTsPeer } from './peers/bundle.ts';

const repeats = Number(process.argv[2] ?? 3);
// The machine may be shared: the load beside each section says how much the figures can be trusted.
const load = () =>
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`;
console.log(load());
const split = await loadOnlineRetail();
const ix = split.interactions;
const threads = defaultThreads();
console.log(
  `Online Retail training part: ${ix.userIds.length} users × ${ix.itemIds.length} items, ${ix.stats.pairs} pairs; ` +
    `median of ${repeats}; machine threads ${threads}`,
);
const ials = (factors: number): BaseSpec => ({
  kind: 'ials',
  params: { factors, iterations: 10, regularization: 0.1, alpha: 1, transform: 'log', seed: 42 },
});
const models: [string, BaseSpec, boolean][] = [
  ['popularity (+ serving extras)', { kind: 'popularity' }, false],
  ['item-knn k50 s10', { kind: 'item-knn', params: { neighbours: 50, shrink: 10 } }, false],
  ['content tf-idf', { kind: 'content' }, false],
  ['ials f64 it10', ials(64), true],
  ['ease l500', { kind: 'ease', params: { lambda: 500 } }, true],
];
let peak = process.memoryUsage().rss;
for (const [name, spec, parallel] of process.env.BENCH_SKIP_MODELS === '1' ? [] : models) {
  for (const t of parallel && threads > 1 ? [1, threads] : [1]) {
    const secs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const started = performance.now();
      fitModel(ix, split.train, spec, { catalog: split.items, threads: t });
      secs.push((performance.now() - started) / 1000);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    secs.sort((a, b) => a - b);
    const median = secs[Math.floor(secs.length / 2)]!;
    const per =
      spec.kind === 'ials'
        ? `  (${((median * 1000) / spec.params.iterations).toFixed(0)} ms/iteration incl. extras)`
        : '';
    console.log(
      `${name.padEnd(30)} threads ${t}  median ${median.toFixed(2)} s  [${secs.map((s) => s.toFixed(2)).join(', ')}]${per}`,
    );
  }
}
if (process.env.BENCH_SKIP_MODELS !== '1') console.log(`peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);

// ---- 3. EASE: JavaScript loops (before) against the SIMD kernels (after) ------------------------------
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
if (process.env.BENCH_SKIP_MODELS !== '1') {
  console.log(`\n${load()}`);
  console.log(
    `EASE λ=500 on ${ix.itemIds.length} items (trainEase alone, median of ${repeats}, alternating):`,
  );
  for (const t of threads > 1 ? [1, threads] : [1]) {
    const secs = { js: [] as number[], simd: [] as number[] };
    for (let r = 0; r < repeats; r++) {
      for (const path of ['js', 'simd'] as const) {
        const started = performance.now();
        trainEase(ix.csr, { lambda: 500 }, { threads: t, simd: path === 'simd' });
        secs[path].push((performance.now() - started) / 1000);
      }
    }
    const [before, after] = [median(secs.js), median(secs.simd)];
    console.log(
      `  threads ${t}: JavaScript loops ${before.toFixed(2)} s, SIMD kernels ${after.toFixed(2)} s: ` +
        `${(before / after).toFixed(1)}× faster (target ≥ 3: ${before / after >= 3 ? 'MET' : 'NOT met'})`,
    );
  }
}
await shutdownPool();

// ---- 2. iALS against implicit -------------------------------------------------------------------------
const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 10);
const THREADS = Number(process.env.BENCH_THREADS ?? threads);
const PARAMS = { factors: 64, regularization: 0.1, alpha: 1, transform: 'log' as const, seed: 42 };

interface PeerResult {
  /** Threads the TypeScript peer trained on (the Python peer is given THREADS). */
  threads?: number;
  perIteration: number[];
  fitSeconds: number;
  peakRssMiB: number;
}

async function peer(cmd: string, args: string[]): Promise<PeerResult> {
  const { stdout } = await run(cmd, args, { cwd: root, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as PeerResult;
}

async function compare(name: string, csr: Csr): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-train-'));
  try {
    const nnz = csr.indptr[csr.rows]!;
    const conf = new Float32Array(nnz);
    for (let q = 0; q < nnz; q++)
      conf[q] = 1 + PARAMS.alpha * transformValue(csr.values[q]!, PARAMS.transform);
    const raw = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    await writeFile(
      join(dir, 'meta.json'),
      JSON.stringify({ rows: csr.rows, cols: csr.cols, iterations: ITERATIONS, threads: THREADS, ...PARAMS }),
    );
    await writeFile(join(dir, 'indptr.bin'), raw(csr.indptr));
    await writeFile(join(dir, 'indices.bin'), raw(csr.indices.subarray(0, nnz)));
    await writeFile(join(dir, 'values.bin'), raw(csr.values.subarray(0, nnz)));
    await writeFile(join(dir, 'conf.bin'), raw(conf));
    console.log(`\n${load()}`);
    console.log(
      `${name}: ${csr.rows.toLocaleString('en-US')} users × ${csr.cols.toLocaleString('en-US')} items, ` +
        `${nnz.toLocaleString('en-US')} interactions; 64 factors, ${ITERATIONS} iterations, 3 CG steps, ${THREADS} threads`,
    );
    // The trainer as it ships: one bundle (see bench/peers/ts-ials.ts).
    const tsPeer = await bundleTsPeer(dir);
    // Alternate the two so a burst of load on this shared machine does not land on one side only.
    const ours: PeerResult[] = [];
    const theirs: PeerResult[] = [];
    for (let r = 0; r < 2; r++) {
      ours.push(await peer(process.execPath, [tsPeer, dir]));
      theirs.push(await peer(python, ['bench/peers/implicit_als.py', dir]));
    }
    const per = (rs: PeerResult[]) => median(rs.flatMap((x) => x.perIteration));
    const [a, b] = [per(ours), per(theirs)];
    const show = (label: string, rs: PeerResult[], s: number) =>
      console.log(
        `  ${label.padEnd(22)} ${s.toFixed(3)} s/iteration (median of ${rs.length}×${ITERATIONS}); fits ` +
          `${rs.map((x) => x.fitSeconds.toFixed(1)).join(', ')} s; peak RSS ${Math.max(...rs.map((x) => x.peakRssMiB)).toFixed(0)} MiB` +
          `; threads ${rs.map((x) => x.threads ?? THREADS).join(', ')}`,
      );
    show('recsys iALS (TS+wasm)', ours, a);
    show('implicit 0.7.3', theirs, b);
    const rss = (rs: PeerResult[]) => Math.max(...rs.map((x) => x.peakRssMiB));
    const memory = rss(ours) / rss(theirs);
    console.log(
      `  ratio recsys / implicit: time ${(a / b).toFixed(2)} (target ≤ 1.0: ${a / b <= 1 ? 'MET' : 'NOT met'}), ` +
        `peak RSS ${memory.toFixed(2)} (target ≤ 1.2: ${memory <= 1.2 ? 'MET' : 'NOT met'})`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const python = process.env.BENCH_PYTHON ?? join(root, '.venv/bin/python');
if (process.env.BENCH_PYTHON === undefined) {
  const prep = await run('bash', ['scripts/python-env.sh', 'bench/requirements.txt'], { cwd: root });
  process.stdout.write(prep.stdout);
}
const sets = (process.env.BENCH_SETS ?? 'online-retail,planted').split(',');
for (const set of sets)
  if (set !== 'online-retail' && set !== 'planted')
    throw new Error(`BENCH_SETS: unknown set "${set}" (online-retail, planted)`);
if (sets.includes('online-retail')) await compare('Online Retail (training part)', ix.csr);
if (sets.includes('planted')) {
  const started = performance.now();
  const planted = plantedMatrix({ users: 200_000, items: 50_000, interactions: 5_000_000 });
  console.log(`(generated the planted matrix in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  await compare('Generated, planted segments', planted.csr);
}
