import { isMainThread } from 'node:worker_threads';

/**
 * The bundle's entry (jobs/trainer/bundle.cjs). One file serves both sides of the training thread pool: the
 * pool (shared/model/parallel.ts) starts its workers on this same file, which then loads the worker side,
 * so the bundle trains on every core without a second file beside it.
 */
if (isMainThread) {
  const { main } = await import('./train.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  await import('../../shared/model/worker.ts');
}
