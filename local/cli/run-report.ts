import type { ModelPackage } from '../../shared/ports/model-registry.ts';
import type { Deployment } from '../../shared/ports/publication-store.ts';
import type { RunRecord } from '../pipeline/retrain.ts';

/**
 * A state machine run as the CLI prints it, here or on AWS: a local run record, or a Step Functions execution
 * read back (whose status may also be RUNNING, ABORTED, TIMED_OUT).
 */
export type RunView = Omit<RunRecord, 'status' | 'kind' | 'stage' | 'engine'> & { status: string };

/**
 * One line per state of a state machine run with its seconds and status (Map iterations summed per state
 * name), then the total: what `recsys retrain` and the first `npm start` print.
 */
export function formatRunStates(run: RunView): string[] {
  const width = Math.max(...run.states.map((s) => s.name.length), 5);
  const rows = new Map<string, { seconds: number; count: number; status: string }>();
  for (const s of run.states) {
    const r = rows.get(s.name) ?? { seconds: 0, count: 0, status: s.status };
    r.seconds += s.seconds;
    r.count += 1;
    if (s.status !== 'SUCCEEDED') r.status = s.status;
    rows.set(s.name, r);
  }
  return [
    ...[...rows].map(
      ([name, r]) =>
        `  ${name.padEnd(width)}  ${r.seconds.toFixed(2).padStart(8)} s  ${r.status}${r.count > 1 ? ` (×${r.count})` : ''}`,
    ),
    `  ${'total'.padEnd(width)}  ${run.seconds.toFixed(2).padStart(8)} s`,
  ];
}

/** A finished run: its states, then the outcome line (and the error). */
export function formatRun(run: RunView): string[] {
  if (run.status === 'SKIPPED')
    return [`${run.name}: SKIPPED (${run.outcome}; model ${run.modelVersion ?? '—'})`];
  return [
    ...formatRunStates(run),
    `${run.name}: ${run.status} at ${run.outcome}${run.modelVersion ? ` (model ${run.modelVersion})` : ''}`,
    ...(run.error ? [`  ${run.error.name}: ${run.error.cause}`] : []),
  ];
}

/** `recsys runs`: one line per run, oldest first, with its slowest state. */
export function formatRunList(runs: readonly RunView[]): string[] {
  if (runs.length === 0) return ['no runs yet: run `recsys retrain`'];
  const lines: string[] = [];
  for (const r of runs) {
    const slowest = [...r.states].sort((a, b) => b.seconds - a.seconds)[0];
    lines.push(
      `${r.startedAt}  ${r.status.padEnd(9)} ${r.outcome.padEnd(18)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.name}${r.modelVersion ? `  model ${r.modelVersion}` : ''}${slowest ? `  (slowest: ${slowest.name} ${slowest.seconds.toFixed(1)} s)` : ''}`,
    );
    if (r.error) lines.push(`    ${r.error.name}: ${r.error.cause}`);
  }
  return lines;
}

/** `recsys models`: the registered versions, their metrics, gate and approval, and which one serves. */
export function formatModels(
  packages: readonly ModelPackage[],
  deployment: Deployment | undefined,
): string[] {
  if (packages.length === 0) return ['no registered versions yet: run `recsys retrain`'];
  const k = packages[0]?.metrics.k ?? 10;
  const lines = [
    `#    version                    status                 nDCG@${k}  popularity  gate    serves`,
  ];
  for (const p of packages) {
    const serves =
      deployment?.champion === p.modelVersion
        ? 'champion'
        : deployment?.previousChampion === p.modelVersion
          ? '(previous)'
          : '';
    lines.push(
      `${String(p.modelPackageVersion).padEnd(4)} ${p.modelVersion.padEnd(26)} ${p.approvalStatus.padEnd(22)} ${(p.metrics['model.ndcg'] ?? Number.NaN).toFixed(4).padStart(8)}  ${(p.metrics['baseline.ndcg'] ?? Number.NaN).toFixed(4).padStart(10)}  ${(p.gate.passed ? 'passed' : 'failed').padEnd(6)}  ${serves}`,
    );
    if (!p.gate.passed)
      for (const r of p.gate.reasons.filter((x) => x.startsWith('FAILED'))) lines.push(`       ${r}`);
    if (p.approvalDescription) lines.push(`       ${p.approvalDescription}`);
  }
  return lines;
}

/** The deployment record in one line: what `recsys experiment …` prints after a change. */
export function describeDeployment(d: Deployment): string {
  const e = d.experiment;
  const variants = e?.variants.map((v) => `${v.name}=${v.modelVersion} (${v.weight})`).join(', ');
  return `revision ${d.revision}: champion ${d.champion}${e !== undefined ? `; experiment ${e.name}: ${variants}` : ''}`;
}
