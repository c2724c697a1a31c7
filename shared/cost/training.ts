import type { Assumptions } from './assumptions.ts';
import { type Component, component } from './components.ts';
import type { InstancePrice, Prices } from './prices.ts';
import { HOURS_PER_MONTH, type StageSizes, type Workload } from './workload.ts';

export interface TrainingRun {
  instances: number;
  trainingVcpus: number;
  seconds: number;
  usdPerInstanceHour: number;
  usd: number;
}

/** One retrain's cluster (EMR: a primary and `coreCount` core nodes) or single machine, from start to terminate. */
export function trainingRun(
  w: Workload,
  s: StageSizes,
  a: Assumptions,
  p: Prices,
  instance: InstancePrice,
): TrainingRun {
  const emr = w.engine === 'emr';
  const f = emr ? a.emr : a.singleMachine;
  const instances = emr ? 1 + s.coreCount : 1;
  // Spark's executors run on the core nodes; the primary only coordinates.
  const trainingVcpus = instance.vcpu * (emr ? s.coreCount : 1);
  const seconds =
    f.overheadSeconds + (w.eventsPerDay * w.historyDays) / (f.eventsPerVcpuSecond * trainingVcpus);
  const usdPerInstanceHour =
    instance.ec2PerHour + instance.emrPerHour + (f.ebsGbPerInstance * p.ebsGp3GbMonth.usd) / HOURS_PER_MONTH;
  return {
    instances,
    trainingVcpus,
    seconds,
    usdPerInstanceHour,
    usd: instances * (seconds / 3600) * usdPerInstanceHour,
  };
}

export function trainingCost(
  w: Workload,
  s: StageSizes,
  a: Assumptions,
  p: Prices,
  instance: InstancePrice,
): Component {
  const run = trainingRun(w, s, a, p, instance);
  const hours = w.runsPerMonth * run.instances * (run.seconds / 3600);
  const shape =
    w.engine === 'emr' ? `${s.instanceType}, 1 primary + ${s.coreCount} core` : `${s.instanceType}, one node`;
  const notes = [
    `${Math.round(run.seconds / 60)} min a run: ${(w.eventsPerDay * w.historyDays).toLocaleString('en-US')} events on ${run.trainingVcpus} vCPUs`,
  ];
  if (run.seconds > a.trainStepTimeoutSeconds)
    notes.push(
      `a run would outlast TrainStep's ${a.trainStepTimeoutSeconds} s timeout: a bigger cluster is needed`,
    );
  const name = w.engine === 'emr' ? 'EMR training' : 'single-machine trainer';
  return component(
    name,
    [
      {
        what: `EC2 + EMR + EBS (${shape})`,
        quantity: hours,
        unit: 'instance-hours',
        usd: w.runsPerMonth * run.usd,
        kind: 'usage',
      },
    ],
    notes,
  );
}

/** Standard-workflow transitions of one run that trains and publishes (statemachines/retrain.asl.yml). */
export function stateTransitionsPerRun(w: Workload, a: Assumptions): number {
  const start = 6; // Config, Route, Prepare, AlreadyTrained, StartCrawler, InitCrawlPolls
  const polls = (a.crawlPolls - 1) * 5 + 3; // Wait, Get, Ready?, Count, Deadline; the last poll stops at Ready?
  const train = 11; // CrawlOutcome … Activate, PublishParts included
  const parts = Math.ceil(w.shoppers / a.usersPerPart); // one Map child (one Task state) per part file
  return start + polls + train + parts;
}

/** A run with nothing new stops at NothingNew: Config, Route, Prepare, AlreadyTrained, NothingNew. */
export const NOTHING_NEW_TRANSITIONS = 5;

export function stepFunctionsCost(w: Workload, a: Assumptions, p: Prices): Component {
  const transitions = w.runsPerMonth * stateTransitionsPerRun(w, a);
  return component('Step Functions', [
    {
      what: 'state transitions',
      quantity: transitions,
      unit: 'transitions',
      usd: (transitions / 1000) * p.stepFunctionsStateTransitions.usd,
      kind: 'usage',
    },
  ]);
}

export function glueCost(w: Workload, a: Assumptions, p: Prices): Component {
  const dpuHours = w.runsPerMonth * a.crawler.dpu * (a.crawler.billedMinutes / 60);
  return component('Glue crawler', [
    {
      what: `crawls (${a.crawler.dpu} DPU, ${a.crawler.billedMinutes} min billed)`,
      quantity: dpuHours,
      unit: 'DPU-hours',
      usd: dpuHours * p.glueCrawlerDpuHour.usd,
      kind: 'usage',
    },
  ]);
}
