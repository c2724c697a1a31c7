import { api, busy, byId, fmt, h, health, setup, showError } from './api.ts';
import { stackedBars } from './chart.ts';
import type { ModelSummary, ModelsView } from './shop-types.ts';

interface Run {
  name: string;
  status: string;
  outcome: string | null;
  startedAt: string;
  seconds: number | null;
  modelVersion: string | null;
  error: { name: string; cause: string } | null;
  log?: string[];
}

interface VariantReport {
  variant: string;
  modelVersion: string | null;
  exposures: number;
  clicks: number;
  ctr: number;
  lift: number | null;
  confidenceInterval: { low: number; high: number } | null;
  pValue: number | null;
}

const enc = encodeURIComponent;

/** Each cell names its column (data-label), so that on a phone the rows can stack as cards with their labels. */
function labelCells(table: HTMLTableElement): void {
  const labels = [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
  for (const row of table.querySelectorAll('tbody tr'))
    for (const [i, cell] of [...row.children].entries()) cell.setAttribute('data-label', labels[i] ?? '');
}
let models: ModelsView | undefined;
let runTimer: number | undefined;
let experimentTimer: number | undefined;

const STATUS: Record<string, string> = {
  Approved: 'Approved',
  PendingManualApproval: 'Pending',
  Rejected: 'Rejected',
};

function actionButton(m: ModelSummary, action: 'approve' | 'reject' | 'rollback', label: string) {
  const button = h(
    'button',
    {
      type: 'button',
      class: action === 'approve' ? '' : 'secondary',
      'aria-label': `${label} ${m.modelVersion}`,
    },
    label,
  );
  button.addEventListener(
    'click',
    () =>
      void busy(button, `${label}…`, async () => {
        const res = await api<{ message: string }>(`/v1/admin/models/${enc(m.modelVersion)}/${action}`, {
          method: 'POST',
          json: { description: `${action} in the operations console` },
        });
        byId('deployment-summary').textContent = res.message;
        await loadModels();
      }),
  );
  return button;
}

async function loadModels(): Promise<void> {
  models = await api<ModelsView>('/v1/admin/models');
  const d = models.deployment;
  const champion = models.models.find((m) => m.modelVersion === d?.champion);
  byId('deployment-summary').textContent = d
    ? `Serving ${d.champion} (revision ${d.revision}: ${d.reason})${d.experiment ? `; experiment ${d.experiment.name} running` : ''}.`
    : 'No model serves yet.';
  const rows = models.models.map((m) => {
    const actions = h('td', { class: 'actions' });
    if (m.approvalStatus !== 'Approved') actions.append(actionButton(m, 'approve', 'Approve'));
    if (m.approvalStatus !== 'Rejected') actions.append(actionButton(m, 'reject', 'Reject'));
    if (m.approvalStatus === 'Approved' && m.role !== 'champion')
      actions.append(actionButton(m, 'rollback', 'Roll back to'));
    return h(
      'tr',
      { 'data-version': m.modelVersion },
      h('th', { scope: 'row' }, h('code', {}, m.modelVersion)),
      h('td', {}, m.model ?? m.engine),
      h('td', { class: `status ${m.approvalStatus}` }, STATUS[m.approvalStatus] ?? m.approvalStatus),
      h('td', { class: 'role' }, m.role ?? ''),
      h('td', {}, fmt.num(m.metrics['model.ndcg'])),
      h('td', {}, fmt.num(m.metrics['baseline.ndcg'])),
      h('td', {}, fmt.num(champion?.metrics['model.ndcg'])),
      h(
        'td',
        {},
        h(
          'details',
          {},
          h('summary', {}, m.gate.passed ? 'passed' : 'failed'),
          h('ul', {}, ...m.gate.reasons.map((r) => h('li', {}, r))),
        ),
      ),
      actions,
    );
  });
  byId('models')
    .querySelector('tbody')!
    .replaceChildren(...rows);
  labelCells(byId<HTMLTableElement>('models'));
  const challengers = models.models.filter((m) => m.servable && m.modelVersion !== d?.champion);
  byId('exp-challenger').replaceChildren(
    ...challengers.map((m) =>
      h('option', { value: m.modelVersion }, `${m.modelVersion} (${m.model ?? m.engine})`),
    ),
  );
  await loadExperiment();
}

async function loadRuns(): Promise<void> {
  const { runs } = await api<{ runs: Run[] }>('/v1/admin/runs');
  byId('runs')
    .querySelector('tbody')!
    .replaceChildren(
      ...runs.map((r) =>
        h(
          'tr',
          { 'data-run': r.name },
          h('th', { scope: 'row' }, h('code', {}, r.name)),
          h('td', { class: `status ${r.status}` }, r.status),
          h('td', {}, r.outcome ?? ''),
          h('td', {}, r.seconds === null ? '' : `${r.seconds.toFixed(1)} s`),
          h('td', {}, r.modelVersion ?? ''),
          h('td', {}, r.startedAt.slice(0, 19).replace('T', ' ')),
          h('td', {}, r.error ? `${r.error.name}: ${r.error.cause}` : ''),
        ),
      ),
    );
  labelCells(byId<HTMLTableElement>('runs'));
  const running = runs.find((r) => r.status === 'RUNNING');
  const progress = byId('run-progress');
  if (running !== undefined) {
    progress.replaceChildren(
      h('progress', { 'aria-label': `Run ${running.name} in progress` }),
      ` ${running.name}: ${running.outcome ?? 'starting'} (${(running.seconds ?? 0).toFixed(0)} s) — ${running.log?.at(-1) ?? ''}`,
    );
    runTimer ??= window.setInterval(() => void loadRuns().catch(stopRunPolling), 1000);
  } else {
    if (runTimer !== undefined) {
      stopRunPolling();
      const last = runs[0];
      progress.textContent = last ? `Last run ${last.name}: ${last.status} (${last.outcome ?? ''}).` : '';
      await loadModels();
    }
  }
}

function stopRunPolling(error?: unknown): void {
  if (runTimer !== undefined) window.clearInterval(runTimer);
  runTimer = undefined;
  if (error !== undefined) showError(error);
}

async function loadExperiment(): Promise<void> {
  const experiment = models?.deployment?.experiment;
  const box = byId('experiment-current');
  if (experiment === undefined) {
    box.replaceChildren(h('p', {}, 'No experiment is running.'));
    if (experimentTimer !== undefined) window.clearInterval(experimentTimer);
    experimentTimer = undefined;
    return;
  }
  const report = await api<{ variants: VariantReport[] }>(`/v1/experiments/${enc(experiment.name)}`);
  const table = h(
    'table',
    { id: 'experiment-report', class: 'cards' },
    h(
      'caption',
      {},
      `Experiment ${experiment.name}, since ${experiment.startedAt.slice(0, 19).replace('T', ' ')}`,
    ),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...[
          'Variant',
          'Version',
          'Exposures',
          'Clicks',
          'CTR',
          '95% interval (vs control)',
          'Lift',
          'p-value',
        ].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      ...report.variants.map((v) =>
        h(
          'tr',
          { 'data-variant': v.variant },
          h('th', { scope: 'row' }, v.variant),
          h('td', {}, h('code', {}, v.modelVersion ?? '')),
          h('td', { class: 'exposures' }, String(v.exposures)),
          h('td', { class: 'clicks' }, String(v.clicks)),
          h('td', {}, fmt.pct(v.ctr)),
          h(
            'td',
            {},
            v.confidenceInterval
              ? `${fmt.pct(v.confidenceInterval.low)} to ${fmt.pct(v.confidenceInterval.high)}`
              : '—',
          ),
          h('td', {}, fmt.pct(v.lift)),
          h('td', {}, fmt.num(v.pValue)),
        ),
      ),
    ),
  );
  labelCells(table);
  const act = (action: 'promote' | 'stop', label: string) => {
    const b = h('button', { type: 'button', class: action === 'stop' ? 'secondary' : '' }, label);
    b.addEventListener(
      'click',
      () =>
        void busy(b, `${label}…`, async () => {
          await api(`/v1/admin/experiments/${enc(experiment.name)}/${action}`, { method: 'POST', json: {} });
          await loadModels();
        }),
    );
    return b;
  };
  box.replaceChildren(
    table,
    h('div', { class: 'row' }, act('promote', 'Promote challenger'), act('stop', 'Stop experiment')),
  );
  experimentTimer ??= window.setInterval(() => void loadExperiment().catch(showError), 2000);
}

async function loadData(): Promise<void> {
  byId('data-status').textContent = 'Counting the lake…';
  const [stats, status] = await Promise.all([
    api<{
      eventsPerDay: { day: string; counts: Record<string, number> }[];
      eventsPerType: Record<string, number>;
      events: number;
      shoppers: number;
      items: number;
      catalogSize: number;
      lake: { objects: number; bytes: number };
      asOf: string;
      figures?: Record<string, { source: string; asOf: string | null }>;
    }>('/v1/admin/data'),
    health().catch((e: Error) => ({ status: `unreachable: ${e.message}` })),
  ]);
  const types = Object.entries(stats.eventsPerType)
    .sort((a, b) => b[1] - a[1])
    .map(([t]) => t);
  // Each figure says where it comes from and as of when: on AWS some are not live (the last training's counts).
  const asOf = (iso: string | null) =>
    iso === null ? 'time unknown' : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  const tile = (label: string, value: string, figure?: string) => {
    const f = figure === undefined ? undefined : stats.figures?.[figure];
    const note =
      f === undefined ? [] : [h('small', { class: 'figure-source' }, `${f.source}, as of ${asOf(f.asOf)}`)];
    return [h('dt', {}, label), h('dd', {}, value, ...note)];
  };
  byId('data-tiles').replaceChildren(
    ...tile('Events', fmt.int(stats.events), 'events'),
    ...tile('Shoppers active', fmt.int(stats.shoppers), 'shoppers'),
    ...tile('Items active', fmt.int(stats.items), 'items'),
    ...tile('Catalog size', fmt.int(stats.catalogSize), 'catalogSize'),
    ...tile(
      'Lake',
      `${(stats.lake.bytes / 1048576).toFixed(1)} MiB in ${stats.lake.objects} objects`,
      'lake',
    ),
    ...tile('Health', status.status),
  );
  byId('data-chart').replaceChildren(stackedBars(stats.eventsPerDay, types));
  byId('data-types')
    .querySelector('tbody')!
    .replaceChildren(
      ...types.map((t) =>
        h('tr', {}, h('th', { scope: 'row' }, t), h('td', {}, fmt.int(stats.eventsPerType[t] ?? 0))),
      ),
    );
  labelCells(byId<HTMLTableElement>('data-types'));
  byId('data-status').textContent = `Counted at ${stats.asOf.slice(0, 19).replace('T', ' ')} UTC.`;
}

function wire(): void {
  const start = byId<HTMLButtonElement>('run-start');
  byId<HTMLFormElement>('run-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(start, 'Starting…', async () => {
      const started = await api<{ name: string }>('/v1/admin/runs', {
        method: 'POST',
        json: {
          model: byId<HTMLSelectElement>('run-model').value,
          requireApproval: byId<HTMLInputElement>('run-approval').checked,
        },
      });
      byId('run-progress').textContent = `Started ${started.name}.`;
      await loadRuns();
    });
  });
  const expStart = byId<HTMLButtonElement>('exp-start');
  byId<HTMLFormElement>('experiment-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(expStart, 'Starting…', async () => {
      await api('/v1/admin/experiments', {
        method: 'POST',
        json: {
          name: byId<HTMLInputElement>('exp-name').value.trim(),
          challenger: byId<HTMLSelectElement>('exp-challenger').value,
          weight: Number(byId<HTMLInputElement>('exp-weight').value),
        },
      });
      await loadModels();
    });
  });
}

let wired = false;
void setup(() => {
  if (!wired) wire();
  wired = true;
  void loadModels().catch(showError);
  void loadRuns().catch(showError);
  void loadData().catch((e) => {
    byId('data-status').textContent = '';
    showError(e);
  });
});
