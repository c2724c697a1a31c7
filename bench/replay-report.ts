import { type CurvePoint, median, type ReplayRow } from '../shared/evaluation/replay-metrics.ts';

/** What bench:replay prints and draws: the table, the staleness chart (self-contained HTML, inline SVG), progress. */

export interface Stability {
  afterView: number[];
  afterPurchase: number[];
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatTable(
  title: string,
  rows: readonly ReplayRow[],
  stability?: ReadonlyMap<string, Stability>,
  baseline?: string,
): string {
  const base = rows.find((r) => r.mode === baseline);
  const head = ['mode', 'cases', 'HR@10', `vs ${baseline ?? '-'}`, 'nDCG@10', 'MRR'];
  if (stability !== undefined) head.push('kept after 1 view', 'kept after 1 purchase');
  const lines = rows.map((r) => {
    const cells = [
      r.mode,
      String(r.cases),
      pct(r.hitRate),
      base !== undefined && base.hitRate > 0 ? `${(r.hitRate / base.hitRate).toFixed(2)}×` : '-',
      r.ndcg.toFixed(4),
      r.mrr.toFixed(4),
    ];
    if (stability !== undefined) {
      const s = stability.get(r.mode);
      cells.push(s !== undefined ? median(s.afterView).toString() : '-');
      cells.push(s !== undefined ? median(s.afterPurchase).toString() : '-');
    }
    return cells;
  });
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ');
  return [title, fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** One SVG line chart: hit rate by days since training, one line per mode. */
function chart(title: string, curves: readonly { mode: string; points: CurvePoint[] }[]): string {
  const w = 760;
  const h = 360;
  const m = { l: 56, r: 190, t: 36, b: 44 };
  const all = curves.flatMap((c) => c.points);
  const maxDay = Math.max(7, ...all.map((p) => p.fromDay + 7));
  const maxHr = Math.max(0.05, ...all.map((p) => p.hitRate)) * 1.1;
  const x = (d: number) => m.l + ((w - m.l - m.r) * d) / maxDay;
  const y = (v: number) => h - m.b - ((h - m.t - m.b) * v) / maxHr;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<text x="${m.l}" y="20" font-size="14" font-weight="bold">${escapeHtml(title)}</text>`,
    `<line x1="${m.l}" y1="${h - m.b}" x2="${w - m.r}" y2="${h - m.b}" stroke="#333"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${h - m.b}" stroke="#333"/>`,
    `<text x="${(m.l + w - m.r) / 2}" y="${h - 8}" text-anchor="middle">days since training (weekly buckets)</text>`,
    `<text transform="translate(14 ${(m.t + h - m.b) / 2}) rotate(-90)" text-anchor="middle">hit rate@10</text>`,
  ];
  for (let d = 0; d <= maxDay; d += 7)
    parts.push(`<text x="${x(d)}" y="${h - m.b + 16}" text-anchor="middle">${d}</text>`);
  for (let t = 0; t <= 4; t++) {
    const v = (maxHr * t) / 4;
    parts.push(
      `<line x1="${m.l}" y1="${y(v)}" x2="${w - m.r}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${pct(v)}</text>`,
    );
  }
  curves.forEach((c, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    // A bucket's point sits at its middle.
    const pts = c.points.map((p) => `${x(p.fromDay + 3.5).toFixed(1)},${y(p.hitRate).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const pt of pts) {
      const [px, py] = pt.split(',');
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${colour}"/>`);
    }
    const ly = m.t + 18 * i;
    parts.push(
      `<line x1="${w - m.r + 12}" y1="${ly}" x2="${w - m.r + 32}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${w - m.r + 38}" y="${ly + 4}">${escapeHtml(c.mode)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** A self-contained page: the charts and the tables as text. */
export function reportHtml(
  title: string,
  charts: readonly { title: string; curves: { mode: string; points: CurvePoint[] }[] }[],
  tables: readonly string[],
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:24px}pre{background:#f6f6f6;padding:12px}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${charts.map((c) => `<figure>${chart(c.title, c.curves)}</figure>`).join('\n')}
${tables.map((t) => `<pre>${escapeHtml(t)}</pre>`).join('\n')}
</body></html>
`;
}

/** A progress bar on a terminal, a plain line per tenth otherwise (logs, CI). */
export function progress(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  let lastDraw = 0;
  const started = performance.now();
  return (done, total) => {
    const frac = total > 0 ? done / total : 1;
    const secs = ((performance.now() - started) / 1000).toFixed(0);
    if (tty) {
      const now = performance.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const width = 30;
      const full = Math.round(frac * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${total} ${secs} s${done >= total ? '\n' : ''}`,
      );
    } else {
      const tenth = Math.floor(frac * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      console.log(`${label}: ${done}/${total} (${(frac * 100).toFixed(0)}%, ${secs} s)`);
    }
  };
}
