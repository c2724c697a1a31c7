import type { StateMachine } from 'aws-local-stepfunctions';

type Execution = ReturnType<StateMachine['run']>;

export interface StateRecord {
  name: string;
  status: 'SUCCEEDED' | 'FAILED' | 'CAUGHT';
  enteredAt: string;
  seconds: number;
  /** Map iterations run inside a state's ItemProcessor carry the iteration index. */
  index?: number;
  error?: string;
}

/**
 * What an aws-local-stepfunctions execution did, state by state, read from its event log as it runs: the same
 * record for a local retrain (local/pipeline/retrain.ts) and for the offline cloud test's executions.
 * `onEntered` hears each top-level state as it is entered (the progress lines).
 */
export function followExecution(execution: Execution, onEntered: (state: string) => void = () => {}) {
  const states: StateRecord[] = [];
  const entered = new Map<string, number>();
  let lastState = '';
  const done = (async () => {
    for await (const e of execution.eventLogs) {
      if (!('state' in e)) continue;
      const key = `${e.state.name}#${e.index ?? ''}`;
      if (e.type === 'StateEntered') {
        entered.set(key, e.timestamp);
        if (e.index === undefined) {
          lastState = e.state.name;
          onEntered(e.state.name);
        }
      } else if (e.type === 'StateExited' || e.type === 'StateFailed' || e.type === 'StateCaught') {
        const t0 = entered.get(key) ?? e.timestamp;
        states.push({
          name: e.state.name,
          status: e.type === 'StateExited' ? 'SUCCEEDED' : e.type === 'StateFailed' ? 'FAILED' : 'CAUGHT',
          enteredAt: new Date(t0).toISOString(),
          seconds: (e.timestamp - t0) / 1000,
          ...(e.index !== undefined ? { index: e.index } : {}),
          ...('Error' in e ? { error: `${e.Error}: ${e.Cause ?? ''}` } : {}),
        });
      }
    }
  })().catch(() => {});
  return {
    states,
    /** The last top-level state entered: the terminal state (Activate, NothingNew, TrainingFailed …). */
    lastState: () => lastState,
    /** Resolves once the event log has ended (after the execution's result). */
    done,
  };
}

/** The state's own error inside aws-local-stepfunctions' ExecutionError (a Fail state's Error/Cause, or a throw). */
export function executionError(e: unknown): { name: string; cause: string } {
  const err = e as Error & { cause?: Error };
  const inner = err.cause instanceof Error ? err.cause : err;
  return { name: inner.name, cause: inner.message };
}
