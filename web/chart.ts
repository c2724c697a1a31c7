import { h } from './api.ts';

const SVG = 'http://www.w3.org/2000/svg';
/** Colour-blind-safe (Okabe–Ito), one per event type in order of volume. */
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * Events per day as stacked bars, one colour per type, with a legend; the numbers themselves are in the table
 * beside it (the accessible form). About forty lines of SVG: a charting library would outweigh both pages.
 */
export function stackedBars(
  days: { day: string; counts: Record<string, number> }[],
  types: string[],
): Element {
  const width = 720;
  const height = 220;
  const max = Math.max(1, ...days.map((d) => Object.values(d.counts).reduce((a, b) => a + b, 0)));
  const bar = width / Math.max(1, days.length);
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height + 20}`,
    role: 'img',
    'aria-label': `Events per day from ${days[0]?.day ?? '—'} to ${days.at(-1)?.day ?? '—'}, at most ${max} a day`,
    class: 'chart',
  });
  days.forEach((d, n) => {
    let y = height;
    types.forEach((t, i) => {
      const v = d.counts[t] ?? 0;
      if (v === 0) return;
      const hgt = (v / max) * height;
      y -= hgt;
      const rect = svg('rect', {
        x: n * bar,
        y,
        width: Math.max(1, bar - 1),
        height: hgt,
        fill: COLOURS[i % COLOURS.length]!,
      });
      rect.append(
        Object.assign(document.createElementNS(SVG, 'title'), { textContent: `${d.day} ${t}: ${v}` }),
      );
      chart.append(rect);
    });
  });
  const axis = svg('text', { x: 0, y: height + 16, 'font-size': 12, fill: 'currentColor' });
  axis.textContent = days[0]?.day ?? '';
  const axisEnd = svg('text', {
    x: width,
    y: height + 16,
    'font-size': 12,
    'text-anchor': 'end',
    fill: 'currentColor',
  });
  axisEnd.textContent = days.at(-1)?.day ?? '';
  chart.append(axis, axisEnd);
  const legend = h(
    'ul',
    { class: 'legend' },
    ...types.map((t, i) =>
      h('li', {}, h('span', { class: 'swatch', style: `background:${COLOURS[i % COLOURS.length]}` }), t),
    ),
  );
  return h('div', {}, chart as unknown as Node, legend);
}
