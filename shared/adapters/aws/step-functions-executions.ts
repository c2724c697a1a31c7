import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  ExecutionAlreadyExistsError,
  type ExecutionDetail,
  type ExecutionState,
  type ExecutionStatus,
  type ExecutionSummary,
  type RetrainExecutions,
} from '../../ports/retrain-executions.ts';

const errorName = (e: unknown) => (e as { name?: string }).name;

/** An execution's ARN is its state machine's with `execution` for `stateMachine` and its name appended. */
function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Entered → exited (or failed) pairs of the history; a state entered and never left failed with the execution. */
function statesOf(events: HistoryEvent[]): ExecutionState[] {
  const open = new Map<string, Date>();
  const out: ExecutionState[] = [];
  const close = (name: string, at: Date, status: ExecutionState['status'], error?: string) => {
    const t0 = open.get(name) ?? at;
    open.delete(name);
    out.push({
      name,
      status,
      enteredAt: t0.toISOString(),
      seconds: (at.getTime() - t0.getTime()) / 1000,
      ...(error !== undefined ? { error } : {}),
    });
  };
  for (const e of events) {
    const at = e.timestamp ?? new Date(0);
    if (e.stateEnteredEventDetails?.name !== undefined) open.set(e.stateEnteredEventDetails.name, at);
    else if (e.stateExitedEventDetails?.name !== undefined)
      close(e.stateExitedEventDetails.name, at, 'SUCCEEDED');
    else if (e.executionFailedEventDetails !== undefined || e.executionTimedOutEventDetails !== undefined) {
      const d = e.executionFailedEventDetails ?? e.executionTimedOutEventDetails;
      for (const name of [...open.keys()]) close(name, at, 'FAILED', `${d?.error ?? ''}: ${d?.cause ?? ''}`);
    }
  }
  return out;
}

/** RetrainExecutions on one Step Functions state machine. */
export function createStepFunctionsExecutions(options: {
  client: SFNClient;
  stateMachineArn: string;
}): RetrainExecutions {
  const { client, stateMachineArn } = options;
  return {
    async start(name, input) {
      try {
        const out = await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return {
          name,
          executionArn: out.executionArn ?? executionArn(stateMachineArn, name),
          status: 'RUNNING',
          startedAt: (out.startDate ?? new Date()).toISOString(),
        };
      } catch (error) {
        if (errorName(error) === 'ExecutionAlreadyExists')
          throw new ExecutionAlreadyExistsError(name, { cause: error });
        throw error;
      }
    },
    async describe(name): Promise<ExecutionDetail | undefined> {
      try {
        const d = await client.send(
          new DescribeExecutionCommand({ executionArn: executionArn(stateMachineArn, name) }),
        );
        return {
          name: d.name ?? name,
          executionArn: d.executionArn ?? executionArn(stateMachineArn, name),
          status: d.status as ExecutionStatus,
          startedAt: (d.startDate ?? new Date(0)).toISOString(),
          ...(d.stopDate !== undefined ? { stoppedAt: d.stopDate.toISOString() } : {}),
          ...(d.input !== undefined ? { input: parseJson(d.input) } : {}),
          ...(d.output !== undefined ? { output: parseJson(d.output) } : {}),
          ...(d.error !== undefined ? { error: { name: d.error, cause: d.cause ?? '' } } : {}),
        };
      } catch (error) {
        if (errorName(error) === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
    async list(limit) {
      const out: ExecutionSummary[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListExecutionsCommand({
            stateMachineArn,
            maxResults: Math.min(100, limit - out.length),
            ...(token !== undefined ? { nextToken: token } : {}),
          }),
        );
        for (const e of page.executions ?? [])
          out.push({
            name: e.name ?? '',
            executionArn: e.executionArn ?? '',
            status: e.status as ExecutionStatus,
            startedAt: (e.startDate ?? new Date(0)).toISOString(),
            ...(e.stopDate !== undefined ? { stoppedAt: e.stopDate.toISOString() } : {}),
          });
        token = page.nextToken;
      } while (token !== undefined && out.length < limit);
      return out;
    },
    async states(arn) {
      const events: HistoryEvent[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new GetExecutionHistoryCommand({
            executionArn: arn,
            maxResults: 1000,
            ...(token !== undefined ? { nextToken: token } : {}),
          }),
        );
        events.push(...(page.events ?? []));
        token = page.nextToken;
      } while (token !== undefined);
      return statesOf(events);
    },
  };
}
