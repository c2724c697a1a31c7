import { z } from 'zod';
import { MODEL_CHOICES, type ModelChoice } from '../../../shared/model/model-choice.ts';
import { HttpError, jsonResponse, pathParam, readJsonBody } from '../../../shared/runtime/http.ts';
import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/** One retrain execution as the console shows it; `states` and `log` only where the runtime keeps them. */
export interface RunView {
  name: string;
  kind: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED' | 'TIMED_OUT' | 'ABORTED';
  /** The terminal state reached, or the state it is in while running. */
  outcome: string | null;
  startedAt: string;
  finishedAt: string | null;
  seconds: number | null;
  modelVersion: string | null;
  error: { name: string; cause: string } | null;
  states?: { name: string; status: string; seconds: number; error?: string }[];
  log?: string[];
}

export interface StartRunRequest {
  model: ModelChoice;
  /** Register the version PendingManualApproval whatever the stage's policy (a person approves it). */
  requireApproval: boolean;
}

/** Retrain executions: the local runs/ records and the run in progress, or Step Functions' executions. */
export interface RunsPort {
  list(): Promise<RunView[]>;
  get(name: string): Promise<RunView | undefined>;
  /** Starts an execution and returns at once with its name; a run in progress is a RunInProgressError. */
  start(request: StartRunRequest): Promise<{ name: string }>;
}

export class RunInProgressError extends Error {
  constructor(name: string) {
    super(`run ${name} is in progress: wait for it to finish`);
    this.name = 'RunInProgressError';
  }
}

/** A capability this runtime does not have (answered 501 with the reason). */
export class NotAvailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAvailableError';
  }
}

const startSchema = z
  .object({
    model: z.enum(MODEL_CHOICES).default('auto'),
    requireApproval: z.boolean().default(false),
  })
  .strict();

function unavailable(error: unknown): never {
  if (error instanceof NotAvailableError) throw new HttpError(501, 'not_implemented', error.message);
  throw error;
}

/** GET /v1/admin/runs — executions, newest first. */
export function createListRunsHandler(runs: RunsPort, options?: ApiMiddlewareOptions) {
  return apiHandler(async () => {
    const list = await runs.list().catch(unavailable);
    return jsonResponse(200, { runs: list });
  }, options);
}

/** GET /v1/admin/runs/{name} — one execution with its states (and, locally, its progress lines). */
export function createGetRunHandler(runs: RunsPort, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const name = pathParam(event, 'name');
    const run = await runs.get(name).catch(unavailable);
    if (run === undefined) throw new HttpError(404, 'not_found', `no run named "${name}"`);
    return jsonResponse(200, run);
  }, options);
}

/** POST /v1/admin/runs — start a retrain execution; 202 with its name, to be watched on GET …/runs/{name}. */
export function createStartRunHandler(runs: RunsPort, options?: ApiMiddlewareOptions) {
  return apiHandler(async (event) => {
    const body = event.body === null || event.body.trim() === '' ? {} : readJsonBody(event, 4096);
    const parsed = startSchema.safeParse(body);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({
        path: i.path.join('.') || '(body)',
        message: i.message,
      }));
      throw new HttpError(400, 'invalid_request', details.map((d) => `${d.path}: ${d.message}`).join('; '), {
        details,
      });
    }
    try {
      const started = await runs.start(parsed.data);
      return jsonResponse(202, started);
    } catch (error) {
      if (error instanceof RunInProgressError) throw new HttpError(409, 'conflict', error.message);
      return unavailable(error);
    }
  }, options);
}
