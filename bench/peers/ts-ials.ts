/**
 * The TypeScript side of `npm run bench:train`'s comparison, in its own process so its peak RSS is the
 * trainer's alone, exactly like the Python peer's: reads the matrix the benchmark wrote (see
 * implicit_als.py for the layout; here the raw values.bin, which the trainer turns into the same
 * confidences) and prints one JSON line with seconds per iteration, the fit's wall time and peak RSS.
 * Usage: npx node bench/peers/ts-ials.ts <dir>
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trainIals } from '../../shared/model/ials.ts';
import { shutdownPool } from '../../shared/model/parallel.ts';
import { transpose } from '../../shared/model/sparse.ts';

const dir = process.argv[2]!;
const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
const bytes = async (name: string) => {
  const b = await readFile(join(dir, name));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const csr = {
  rows: meta.rows,
  cols: meta.cols,
  indptr: new Int32Array(await bytes('indptr.bin')),
  indices: new Int32Array(await bytes('indices.bin')),
  values: new Float32Array(await bytes('values.bin')),
};
const csc = transpose(csr);
const marks: number[] = [];
const started = performance.now();
trainIals(
  csr,
  csc,
  {
    factors: meta.factors,
    iterations: meta.iterations,
    regularization: meta.regularization,
    alpha: meta.alpha,
    transform: meta.transform,
    seed: meta.seed,
  },
  () => marks.push(performance.now()),
  { threads: meta.threads, parallelThreshold: 0 },
);
const fitSeconds = (performance.now() - started) / 1000;
const perIteration = marks.map((t, i) => (t - (i === 0 ? started : marks[i - 1]!)) / 1000);
console.log(JSON.stringify({ perIteration, fitSeconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
await shutdownPool();
