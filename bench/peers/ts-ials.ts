/**
 * Entry of the TypeScript peer of `npm run bench:train` (the fit is ts-ials-fit.ts). The benchmark runs it as
 * one esbuild bundle, the form the trainer ships in (jobs/trainer/bundle.cjs: trainer.mjs on the EMR primary
 * node), so the peak RSS is the trainer's and not that of Node's TypeScript stripping, loaded once per thread
 * when .ts files run directly. The training pool starts its workers on the bundle itself: here they load the
 * worker side. Usage: npx node bench/peers/ts-ials.ts <dir>   (or the bundle: node ts-ials.mjs <dir>)
 */
import { isMainThread } from 'node:worker_threads';

if (isMainThread) await import('./ts-ials-fit.ts');
else await import('../../shared/model/worker.ts');
