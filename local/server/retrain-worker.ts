import { parentPort, workerData } from 'node:worker_threads';
import { type LocalRetrainOptions, runRetrainLocally } from '../pipeline/retrain.ts';

/**
 * A retrain started from the console, on a thread of its own: training holds its thread for tens of seconds, and
 * the server's thread must keep answering (the console watches this run's progress through it). Progress lines and
 * the run's record come back as messages; the thread ends with the run.
 */
const options = workerData as Omit<LocalRetrainOptions, 'onProgress' | 'trainingEngine'>;
const port = parentPort!;
try {
  const run = await runRetrainLocally({ ...options, onProgress: (line) => port.postMessage({ line }) });
  port.postMessage({ run });
} catch (error) {
  const e = error as Error;
  port.postMessage({ error: { name: e.name, message: e.message } });
}
