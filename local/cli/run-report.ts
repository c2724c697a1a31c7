import type { RunRecord } from '../pipeline/retrain.ts';

/**
 * One line per state of a state machine run with its seconds and status (Map iterations summed per state
 * name), then the total: what `recsys retrain` and the first `npm start` print.
 */
export function formatRunStates(run: RunRecord): string[] {
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
