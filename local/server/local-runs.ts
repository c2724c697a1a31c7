import { Worker } from 'node:worker_threads';
import type { RunsPort, RunView, StartRunRequest } from '../../functions/api/admin-runs/admin-runs.ts';
import { RunInProgressError } from '../../functions/api/admin-runs/admin-runs.ts';
import { type LocalRetrainOptions, listRuns, type RunRecord } from '../pipeline/retrain.ts';

type WorkerMessage = { line: string } | { run: RunRecord } | { error: { name: string; message: string } };

/** runRetrainLocally on a worker thread (retrain-worker.ts): the server's thread stays free meanwhile. */
function retrainOnWorker(
  options: Omit<LocalRetrainOptions, 'onProgress' | 'trainingEngine'>,
  onProgress: (line: string) => void,
): Promise<RunRecord> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./retrain-worker.ts', import.meta.url), { workerData: options });
    // A stopping server does not wait for a run (as a stopped execution, it is left unrecorded).
    worker.unref();
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      if ('line' in m) onProgress(m.line);
      else if ('run' in m) {
        settled = true;
        resolve(m.run);
      } else {
        settled = true;
        reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the retrain thread exited with code ${code} before finishing`));
    });
  });
}

/** How many progress lines of the run in progress the console is shown. */
const LOG_LINES = 200;

function viewOf(r: RunRecord): RunView {
  return {
    name: r.name,
    kind: r.kind,
    status: r.status,
    outcome: r.outcome,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    seconds: r.seconds,
    modelVersion: r.modelVersion ?? null,
    error: r.error ?? null,
    states: r.states
      .filter((s) => s.index === undefined)
      .map((s) => ({
        name: s.name,
        status: s.status,
        seconds: s.seconds,
        ...(s.error ? { error: s.error } : {}),
      })),
  };
}

interface Active {
  id: string;
  startedAt: Date;
  state: string | null;
  log: string[];
  done: Promise<void>;
}

/**
 * Retrain runs of this data directory for the console: the records in `<data-dir>/runs/`, and one run at a time
 * started here in this process (the same runRetrainLocally as `recsys retrain`), watched through its progress lines.
 * The name of a started run is known only once it is recorded, so it is first called by a provisional id.
 */
export function createLocalRuns(options: {
  dataDir: string;
  /** Publishes the open lake objects first, so the run sees every event acknowledged so far. */
  flush: () => Promise<void>;
  budgetSeconds?: number;
}): RunsPort & { idle(): Promise<void> } {
  let active: Active | undefined;
  const finished = new Map<string, string>();
  // Runs that failed before the state machine recorded them (no events to train on …), kept for this process.
  const failedEarly: RunView[] = [];
  const activeView = (a: Active): RunView => ({
    name: a.id,
    kind: 'retrain',
    status: 'RUNNING',
    outcome: a.state,
    startedAt: a.startedAt.toISOString(),
    finishedAt: null,
    seconds: (Date.now() - a.startedAt.getTime()) / 1000,
    modelVersion: null,
    error: null,
    log: a.log,
  });
  const records = async () => (await listRuns(options.dataDir)).reverse().map(viewOf);
  return {
    async list() {
      const done = [...failedEarly, ...(await records())].sort((x, y) =>
        y.startedAt.localeCompare(x.startedAt),
      );
      return active !== undefined ? [activeView(active), ...done] : done;
    },
    async get(name) {
      if (active?.id === name) return activeView(active);
      const wanted = finished.get(name) ?? name;
      return failedEarly.find((r) => r.name === wanted) ?? (await records()).find((r) => r.name === wanted);
    },
    async start(request: StartRunRequest) {
      if (active !== undefined) throw new RunInProgressError(active.id);
      const startedAt = new Date();
      const a: Active = {
        id: `console-${startedAt.getTime()}`,
        startedAt,
        state: null,
        log: [],
        done: Promise.resolve(),
      };
      active = a;
      const note = (line: string) => {
        a.log.push(line);
        if (a.log.length > LOG_LINES) a.log.splice(0, a.log.length - LOG_LINES);
        if (line.startsWith('▶ ')) a.state = line.slice(2);
      };
      a.done = (async () => {
        try {
          await options.flush();
          const run = await retrainOnWorker(
            {
              dataDir: options.dataDir,
              model: request.model,
              requireApproval: request.requireApproval,
              budgetSeconds: options.budgetSeconds ?? 10,
            },
            note,
          );
          finished.set(a.id, run.status === 'SKIPPED' ? run.outcome.replace(/^duplicate of /, '') : run.name);
        } catch (error) {
          const message = (error as Error).message;
          note(`failed: ${message}`);
          failedEarly.push({
            ...activeView(a),
            status: 'FAILED',
            finishedAt: new Date().toISOString(),
            error: { name: (error as Error).name, cause: message },
          });
        } finally {
          active = undefined;
        }
      })();
      return { name: a.id };
    },
    idle: () => active?.done ?? Promise.resolve(),
  };
}
