import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CTRL_INTS, SOLO, sharedTeam, type Team, TeamAbortedError } from './blocked-spd.ts';

/**
 * A small pool of worker threads that run one synchronous "team" job at a time over SharedArrayBuffers.
 * The caller's thread is member 0 and blocks (Atomics.wait, allowed on Node's main thread) until the others
 * are done, so training stays a synchronous function. Workers are unref'd: they never keep a process alive.
 * When workers cannot start (e.g. a bundle without the worker file), everything runs on the caller's thread.
 */

export interface TeamJob {
  /** The operation name the worker dispatches on (see worker.ts). */
  op: string;
  /** Structured-cloneable arguments; typed arrays on SharedArrayBuffers are shared, not copied. */
  args: unknown;
}

let pool: Worker[] = [];
let unavailable = false;

/** Threads to use by default: RECSYS_THREADS if set, else the machine's parallelism (at most 8). */
export function defaultThreads(): number {
  const env = Number(process.env.RECSYS_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, Math.min(8, availableParallelism()));
}

function startWorker(): Worker | undefined {
  const ready = new Int32Array(new SharedArrayBuffer(4));
  let worker: Worker;
  try {
    worker = new Worker(new URL('./worker.ts', import.meta.url), { workerData: { ready } });
  } catch {
    return undefined;
  }
  worker.unref();
  // The worker flips `ready` once its modules are loaded; a worker that cannot load never does.
  Atomics.wait(ready, 0, 0, 10_000);
  if (Atomics.load(ready, 0) !== 1) {
    void worker.terminate();
    return undefined;
  }
  return worker;
}

/** Up to `count` started workers (fewer, possibly none, if they cannot start). */
function workers(count: number): Worker[] {
  while (!unavailable && pool.length < count) {
    const w = startWorker();
    if (w === undefined) unavailable = true;
    else pool.push(w);
  }
  return pool.slice(0, count);
}

/** The team size `runTeam(threads, …)` will use: `threads` if the workers start, fewer (down to 1) if not. */
export function teamSize(threads: number): number {
  return threads > 1 ? workers(threads - 1).length + 1 : 1;
}

/** Terminates the pool (tests and benchmarks that want a clean exit or a fresh thread count). */
export async function shutdownPool(): Promise<void> {
  const old = pool;
  pool = [];
  await Promise.all(old.map((w) => w.terminate()));
}

/**
 * Runs `self(team)` on this thread as member 0 and the same job in `threads − 1` workers, which call the
 * function registered under `job.op` with `job.args`. Returns the team size actually used. Throws the
 * caller's own error, or a generic one if a worker failed (its stack goes to stderr).
 */
export function runTeam(threads: number, job: TeamJob, self: (team: Team) => void): number {
  const helpers = threads > 1 ? workers(threads - 1) : [];
  if (helpers.length === 0) {
    self(SOLO);
    return 1;
  }
  const size = helpers.length + 1;
  const ctrl = new Int32Array(new SharedArrayBuffer(CTRL_INTS * 4));
  helpers.forEach((w, t) => {
    w.postMessage({ op: job.op, args: job.args, ctrl, id: t + 1, size });
  });
  let failure: unknown;
  try {
    self(sharedTeam(ctrl, 0, size));
  } catch (e) {
    failure = e;
    Atomics.store(ctrl, 2, 1);
    Atomics.notify(ctrl, 1);
  }
  for (;;) {
    const done = Atomics.load(ctrl, 3);
    if (done === size - 1) break;
    Atomics.wait(ctrl, 3, done, 1000);
  }
  if (failure !== undefined && !(failure instanceof TeamAbortedError)) throw failure;
  if (Atomics.load(ctrl, 2) !== 0)
    throw new Error('a training worker thread failed (its error is on stderr)');
  return size;
}

/** A copy of `a` on a SharedArrayBuffer (or a fresh zeroed one of `length`). */
export function sharedF64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * 8));
}

export function sharedF32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

export function sharedI32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}
