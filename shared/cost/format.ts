import type { Estimate } from './estimate.ts';

const usd = (x: number) =>
  `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const qty = (x: number) =>
  x >= 100
    ? Math.round(x).toLocaleString('en-US')
    : x.toLocaleString('en-US', { maximumFractionDigits: x >= 1 ? 2 : 4 });
const int = (x: number) => Math.round(x).toLocaleString('en-US');

/** The estimate as a report a person reads: per component, its priced quantities, Personalize beside, idle. */
export function formatEstimate(e: Estimate): string {
  const w = e.workload;
  const s = e.stage;
  const engine =
    w.engine === 'emr'
      ? `emr (${s.instanceType}, 1 primary + ${s.coreCount} core)`
      : `single-machine (${s.instanceType})`;
  const out: string[] = [
    `Monthly cost, stage ${s.stage}, ${e.region} (prices as of ${e.pricesAsOf}; verify before relying on them)`,
    `workload: ${int(w.eventsPerDay)} events/day, ${int(w.shoppers)} shoppers, ${int(w.products)} products, ${w.requestsPerSecond} requests/s, ` +
      `${qty(w.runsPerMonth)} retrains/month, engine ${engine}, ${w.historyDays} days of history, ${w.eventsPerRequest} event(s) per ingest request`,
    '',
  ];
  const width = 60;
  for (const c of e.components) {
    out.push(`${c.name.padEnd(width)}${usd(c.usd).padStart(12)}`);
    for (const i of c.items)
      out.push(`  ${i.what.padEnd(width - 2)}${usd(i.usd).padStart(12)}   ${qty(i.quantity)} ${i.unit}`);
    for (const n of c.notes) out.push(`  · ${n}`);
  }
  out.push(`${'TOTAL'.padEnd(width)}${usd(e.monthlyUsd).padStart(12)}`, '');
  const p = e.personalize;
  out.push(`${p.name.padEnd(width)}${usd(p.usd).padStart(12)}`);
  for (const i of p.items)
    out.push(`  ${i.what.padEnd(width - 2)}${usd(i.usd).padStart(12)}   ${qty(i.quantity)} ${i.unit}`);
  for (const n of p.notes) out.push(`  · ${n}`);
  out.push(
    `  · batch recommendations instead of a campaign (no real-time requests): ${usd(p.batchAlternativeUsd)} plus ingestion and training`,
    '',
    `ratio ours / Personalize: ${e.ratio.toFixed(3)} (1/${(1 / e.ratio).toFixed(1)}); without Personalize's training: ${e.ratioWithoutTraining.toFixed(3)} (1/${(1 / e.ratioWithoutTraining).toFixed(1)})`,
    '',
    `Idle month (no events, no requests, history kept): ${usd(e.idle.usd)}; Personalize idle: ${usd(e.idle.personalizeUsd)} (campaign at its minimum TPS)`,
  );
  for (const i of e.idle.items)
    out.push(`  ${`${i.component}: ${i.what}`.padEnd(width - 2)}${usd(i.usd).padStart(12)}`);
  return out.join('\n');
}
