import type { ExecutionSummary } from '../../../shared/ports/retrain-executions.ts';
import type { RunView } from '../run-report.ts';
import { formatRunList } from '../run-report.ts';
import { onStage, type StageAdapters } from './adapters.ts';
import type { AwsOptions } from './stage.ts';

/** An execution read back as a run: its states from the history, its model from the output or the input. */
async function runView(a: StageAdapters, e: ExecutionSummary): Promise<RunView> {
  const [detail, states] = await Promise.all([
    a.executions.describe(e.name),
    a.executions.states(e.executionArn),
  ]);
  const output = detail?.output as { model?: { modelVersion?: string } } | undefined;
  const input = detail?.input as { publishVersion?: string } | undefined;
  const modelVersion = output?.model?.modelVersion ?? input?.publishVersion;
  const finishedAt = e.stoppedAt ?? new Date().toISOString();
  const last = [...states].sort((x, y) => x.enteredAt.localeCompare(y.enteredAt)).at(-1);
  return {
    name: e.name,
    status: e.status,
    outcome: last?.name ?? '—',
    startedAt: e.startedAt,
    finishedAt,
    seconds: (Date.parse(finishedAt) - Date.parse(e.startedAt)) / 1000,
    states,
    ...(modelVersion !== undefined ? { modelVersion } : {}),
    ...(detail?.output !== undefined ? { output: detail.output } : {}),
    ...(detail?.error !== undefined ? { error: detail.error } : {}),
  };
}

/** `recsys runs --aws`: the newest executions (ListExecutions, DescribeExecution, the history), oldest first. */
export async function runsOnAws(opts: AwsOptions & { limit: number; json?: boolean }): Promise<void> {
  await onStage(opts, 'listing executions', async (a) => {
    const executions = await a.executions.list(opts.limit);
    const runs = await Promise.all(executions.map((e) => runView(a, e)));
    runs.sort((x, y) => x.startedAt.localeCompare(y.startedAt));
    console.log(opts.json ? JSON.stringify(runs, null, 2) : formatRunList(runs).join('\n'));
  });
}
