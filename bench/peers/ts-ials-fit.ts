/**
 * The TypeScript side of `npm run bench:train`'s comparison, in its own process so its peak RSS is the
 * trainer's alone, exactly like the Python peer's: reads the matrix the benchmark wrote (see
 * implicit_als.py for the layout; here the raw values.bin, which the trainer turns into the same
 * confidences) straight into the training arena — the kernels' memory — builds the item side there by
 * transposition, and prints one JSON line with seconds per iteration, the fit's wall time and peak RSS.
 * The factors stay where they were trained, as `implicit`'s do. Loaded by ts-ials.ts (the entry).
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ialsShape, trainIalsInArena } from '../../shared/model/ials.ts';
import { shutdownPool } from '../../shared/model/parallel.ts';
import { IalsArena } from '../../shared/model/simd/ials-simd.ts';

const dir = process.argv[2]!;
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
const fileInto = (name: string, into: Int32Array | Float32Array) => {
  const fd = openSync(join(dir, name), 'r');
  try {
    const size = fstatSync(fd).size;
    if (size !== into.byteLength) throw new Error(`${name}: ${size} bytes, expected ${into.byteLength}`);
    const bytes = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
    for (let at = 0; at < size; ) at += readSync(fd, bytes, at, size - at, at);
  } finally {
    closeSync(fd);
  }
};
const options = { threads: meta.threads, parallelThreshold: 0 };
const nnz = statSync(join(dir, 'indices.bin')).size / 4;
const ia = new IalsArena(ialsShape(meta.rows, meta.cols, nnz, meta.factors, options));
fileInto('indptr.bin', ia.users.indptr);
fileInto('indices.bin', ia.users.indices);
fileInto('values.bin', ia.users.values);
// As in the Python peer, the fit's time starts once the files are read.
const started = performance.now();
ia.confidencesInPlace(meta.alpha, meta.transform);
ia.transposeUsers();
const marks: number[] = [];
const trainStarted = performance.now();
trainIalsInArena(
  ia,
  {
    factors: meta.factors,
    iterations: meta.iterations,
    regularization: meta.regularization,
    alpha: meta.alpha,
    transform: meta.transform,
    seed: meta.seed,
  },
  () => marks.push(performance.now()),
  options,
);
const fitSeconds = (performance.now() - started) / 1000;
const perIteration = marks.map((t, i) => (t - (i === 0 ? trainStarted : marks[i - 1]!)) / 1000);
// The team that trained (a bundle whose workers could not start would train on one thread).
const threads = ia.shape.members;
console.log(
  JSON.stringify({ perIteration, fitSeconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, threads }),
);
await shutdownPool();
