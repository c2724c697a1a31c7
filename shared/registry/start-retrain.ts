import type { DescribeLake } from '../ports/lake-description.ts';
import type { PublicationStore } from '../ports/publication-store.ts';
import {
  ExecutionAlreadyExistsError,
  type ExecutionDetail,
  type RetrainExecutions,
} from '../ports/retrain-executions.ts';
import { listsDueForRefresh, refreshReason } from './list-expiry.ts';
import { lakeFingerprint } from './run-plan.ts';

/**
 * The name of the execution that retrains on this data with this configuration (the stage, the model choice and,
 * locally, the engine): the lake's fingerprint. Step Functions refuses a second execution of a name, so two
 * triggers for the same data (the schedule and a person, at the same moment) start one execution.
 */
export function retrainExecutionName(
  lake: { newestKey: string; objects: number },
  config: Record<string, string>,
): string {
  return `retrain-${lakeFingerprint(lake.newestKey, lake.objects, config)}`;
}

/** A failed, timed-out or stopped execution of the data may be retried: under `<name>-2`, `<name>-3` … */
const ATTEMPTS = 5;
const DONE_OR_RUNNING = new Set(['RUNNING', 'SUCCEEDED', 'PENDING_REDRIVE']);

export class EmptyLakeError extends Error {
  override name = 'EmptyLakeError';
}

export class RetrainAttemptsError extends Error {
  override name = 'RetrainAttemptsError';
}

export interface StartRetrainDeps {
  describeLake: DescribeLake;
  executions: RetrainExecutions;
  /** When given, serving versions whose lists are due (shared/registry/list-expiry.ts) are republished too. */
  publications?: PublicationStore;
  now?: () => Date;
}

export interface StartRetrainRequest {
  stage: string;
  model: string;
  /** Who asked (schedule, cli): recorded in the input, not in the name. */
  trigger: string;
}

export type ExecutionStart =
  | { outcome: 'started'; name: string; executionArn: string }
  | { outcome: 'already-started'; name: string; executionArn: string; status: string; startedAt: string };

export interface RetrainStart {
  retrain: ExecutionStart;
  /** Publications started (or found started) to renew serving versions' lists before they expire. */
  refreshes: ExecutionStart[];
}

/**
 * Starts `name`, or finds it started: ExecutionAlreadyExists (and a running or succeeded execution found first)
 * means someone started this already. A finished execution that did not succeed is retried under the next
 * attempt's name, so a failure for some data does not block that data for the 90 days Step Functions keeps names.
 */
async function startOnce(
  executions: RetrainExecutions,
  baseName: string,
  input: Record<string, unknown>,
): Promise<ExecutionStart> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const name = attempt === 1 ? baseName : `${baseName}-${attempt}`;
    let found: ExecutionDetail | undefined = await executions.describe(name);
    if (found === undefined) {
      try {
        const started = await executions.start(name, input);
        return { outcome: 'started', name, executionArn: started.executionArn };
      } catch (error) {
        if (!(error instanceof ExecutionAlreadyExistsError)) throw error;
        found = await executions.describe(name);
      }
    }
    // Not found although its name is taken: started this instant (DescribeExecution lags StartExecution).
    if (found === undefined || DONE_OR_RUNNING.has(found.status))
      return {
        outcome: 'already-started',
        name,
        executionArn: found?.executionArn ?? '',
        status: found?.status ?? 'RUNNING',
        startedAt: found?.startedAt ?? 'just now',
      };
  }
  throw new RetrainAttemptsError(
    `${ATTEMPTS} executions for this data (${baseName}…) ended without success: see \`recsys runs\` before retrying`,
  );
}

/**
 * The one way a retrain starts on AWS (the schedule's start-retrain Lambda and `recsys retrain --aws`): the name
 * from the lake's fingerprint and the model choice, StartExecution, ExecutionAlreadyExists read as "already
 * started"; then the serving versions whose lists expire soon are republished ({publishVersion, reason}).
 */
export async function startRetrain(
  deps: StartRetrainDeps,
  request: StartRetrainRequest,
): Promise<RetrainStart> {
  let retrain: ExecutionStart | undefined;
  let failure: unknown;
  try {
    const lake = await deps.describeLake();
    if (lake === undefined)
      throw new EmptyLakeError('the raw events zone is empty: ingest or import events before retraining');
    const name = retrainExecutionName(lake, { stage: request.stage, model: request.model });
    retrain = await startOnce(deps.executions, name, { trigger: request.trigger, model: request.model });
  } catch (error) {
    // The serving lists are renewed even when this data cannot be retrained (its attempts are used up).
    failure = error;
  }
  const refreshes: ExecutionStart[] = [];
  if (deps.publications !== undefined) {
    const due = await listsDueForRefresh(deps.publications, (deps.now ?? (() => new Date()))());
    for (const d of due)
      refreshes.push(
        await startOnce(deps.executions, `refresh-${d.modelVersion}-${d.expiresAt}`, {
          publishVersion: d.modelVersion,
          reason: refreshReason(d.modelVersion, d.expiresAt),
        }),
      );
  }
  if (retrain === undefined) throw failure;
  return { retrain, refreshes };
}
