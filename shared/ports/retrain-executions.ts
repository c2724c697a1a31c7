/**
 * The deployed retrain state machine's executions (Step Functions): started by name, so a name says what an
 * execution is for and a second start of the same name is refused. AWS: shared/adapters/aws/
 * step-functions-executions.ts. Locally the state machine runs in-process (local/pipeline/retrain.ts) instead.
 */
export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

export interface ExecutionSummary {
  name: string;
  executionArn: string;
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt?: string;
}

export interface ExecutionDetail extends ExecutionSummary {
  input?: unknown;
  output?: unknown;
  error?: { name: string; cause: string };
}

/** One state of an execution, from its history (entered → exited, failed or caught). */
export interface ExecutionState {
  name: string;
  status: 'SUCCEEDED' | 'FAILED' | 'CAUGHT';
  enteredAt: string;
  seconds: number;
  error?: string;
}

/** StartExecution refused: an execution of that name exists (running with another input, or finished). */
export class ExecutionAlreadyExistsError extends Error {
  constructor(name: string, options?: { cause?: unknown }) {
    super(`an execution named ${name} exists already`, options);
    this.name = 'ExecutionAlreadyExistsError';
  }
}

export interface RetrainExecutions {
  /** Starts an execution; throws ExecutionAlreadyExistsError when the name is taken. */
  start(name: string, input: Record<string, unknown>): Promise<ExecutionSummary>;
  /** The execution of that name, undefined when there is none. */
  describe(name: string): Promise<ExecutionDetail | undefined>;
  /** The newest `limit` executions, newest first. */
  list(limit: number): Promise<ExecutionSummary[]>;
  /** Each state's times, from the execution's history. */
  states(executionArn: string): Promise<ExecutionState[]>;
}
