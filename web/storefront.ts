import { api, busy, byId, fmt, h, setup, showError } from './api.ts';
import type { Item, ModelsView, RecItem, RecList } from './shop-types.ts';

type Shopper = { kind: 'user'; id: string } | { kind: 'session'; id: string };

let shopper: Shopper | undefined;
let current: RecList | undefined;
let product: Item | undefined;

const enc = encodeURIComponent;
const who = (s: Shopper) => (s.kind === 'user' ? { userId: s.id } : { sessionId: s.id });

function filterQuery(): string {
  const q = new URLSearchParams({ k: '10' });
  const category = byId<HTMLInputElement>('f-category').value.trim();
  const min = byId<HTMLInputElement>('f-min').value.trim();
  const max = byId<HTMLInputElement>('f-max').value.trim();
  if (category !== '') q.set('category', category);
  if (min !== '') q.set('minPrice', min);
  if (max !== '') q.set('maxPrice', max);
  return q.toString();
}

/** What changed between two lists, in words: new items, gone items, the new first one. */
function describeChange(before: RecList | undefined, after: RecList): string {
  if (before === undefined) return '';
  const was = new Set(before.items.map((i) => i.itemId));
  const now = new Set(after.items.map((i) => i.itemId));
  const added = after.items.filter((i) => !was.has(i.itemId));
  const gone = before.items.filter((i) => !now.has(i.itemId));
  const moved = after.items.filter((i, n) => before.items[n]?.itemId !== i.itemId).length;
  if (added.length === 0 && gone.length === 0 && moved === 0) return 'No change in "Recommended for you".';
  const name = (i: RecItem) => i.title ?? i.itemId;
  const parts = [];
  if (added.length > 0) parts.push(`new: ${added.map(name).join(', ')}`);
  if (gone.length > 0) parts.push(`gone: ${gone.map(name).join(', ')}`);
  if (added.length === 0 && gone.length === 0) parts.push(`${moved} positions reordered`);
  return `"Recommended for you" changed — ${parts.join('; ')}.`;
}

function itemRow(i: RecItem, list: RecList, options: { feedback: boolean; mark?: boolean }): HTMLLIElement {
  const title = i.title ?? i.itemId;
  const open = h(
    'button',
    {
      type: 'button',
      class: 'link item-title',
      onclick: () => {
        if (options.feedback) void sendFeedback(list, i, 'click');
        void openProduct(i.itemId);
      },
    },
    title,
  );
  const meta = h(
    'span',
    { class: 'meta' },
    h('span', { class: 'reason' }, i.reason),
    ` · score ${fmt.score(i.score)} · ${fmt.price(i.price)} · `,
    h('code', {}, i.itemId),
  );
  const li = h(
    'li',
    { 'data-item-id': i.itemId },
    open,
    options.mark ? h('span', { class: 'badge' }, 'in both') : null,
    meta,
  );
  if (options.feedback)
    li.append(
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'aria-label': `Not interested in ${title}`,
          onclick: (e) => void notInterested(list, i, e.currentTarget as HTMLButtonElement),
        },
        'Not interested',
      ),
    );
  return li;
}

async function loadRecommendations(): Promise<void> {
  if (shopper === undefined) return;
  const path =
    shopper.kind === 'user'
      ? `/v1/users/${enc(shopper.id)}/recommendations?${filterQuery()}`
      : `/v1/sessions/${enc(shopper.id)}/recommendations?${filterQuery()}`;
  byId('recs-status').textContent = 'Loading…';
  const list = await api<RecList>(path);
  const change = describeChange(current, list);
  current = list;
  byId('recs-status').textContent = '';
  byId('recs-variant').textContent = `Variant ${list.variant} · model ${list.modelVersion ?? 'none'}`;
  const ol = byId('recs');
  // Which served list is on screen: feedback names it, and a reader (or a test) can tell two lists apart.
  ol.dataset.recommendationId = list.recommendationId;
  ol.replaceChildren(...list.items.map((i) => itemRow(i, list, { feedback: true })));
  if (list.items.length === 0) byId('recs-status').textContent = 'No items match.';
  if (change !== '') byId('changes').textContent = change;
}

async function sendFeedback(list: RecList, i: RecItem, action: string): Promise<void> {
  if (shopper === undefined) return;
  await api('/v1/feedback', {
    method: 'POST',
    json: { recommendationId: list.recommendationId, itemId: i.itemId, action, ...who(shopper) },
  }).catch(showError);
}

async function notInterested(list: RecList, i: RecItem, button: HTMLButtonElement): Promise<void> {
  await busy(button, 'Hiding…', async () => {
    await api('/v1/feedback', {
      method: 'POST',
      json: {
        recommendationId: list.recommendationId,
        itemId: i.itemId,
        action: 'not_interested',
        ...who(shopper!),
      },
    });
    // At once: the item leaves the list before the new list arrives.
    byId('recs')
      .querySelector(`[data-item-id="${CSS.escape(i.itemId)}"]`)
      ?.remove();
    await loadRecommendations();
  });
}

async function sendEvent(type: string, itemId: string, extra: Record<string, unknown> = {}): Promise<void> {
  if (shopper === undefined) throw new Error('Pick a shopper first.');
  await api('/v1/events', {
    method: 'POST',
    json: {
      events: [
        {
          eventId: crypto.randomUUID(),
          type,
          itemId,
          timestamp: new Date().toISOString(),
          ...who(shopper),
          ...(current !== undefined ? { recommendationId: current.recommendationId } : {}),
          ...extra,
        },
      ],
    },
  });
}

async function loadTrending(): Promise<void> {
  const window = byId<HTMLSelectElement>('trending-window').value;
  const res = await api<RecList & { asOf: string | null }>(`/v1/trending?window=${enc(window)}&k=5`);
  byId('trending').replaceChildren(...res.items.map((i) => itemRow(i, res, { feedback: false })));
  byId('trending-asof').textContent = res.asOf ? `as of ${res.asOf.slice(0, 16).replace('T', ' ')} UTC` : '';
}

async function openProduct(itemId: string): Promise<void> {
  try {
    const item = await api<Item>(`/v1/items/${enc(itemId)}`);
    product = item;
    const section = byId('product');
    section.hidden = false;
    byId('product-title').textContent = item.title;
    byId('product-details').replaceChildren(
      h('dt', {}, 'Item'),
      h('dd', {}, h('code', {}, item.itemId)),
      h('dt', {}, 'Price'),
      h('dd', {}, fmt.price(item.price ?? null)),
      h('dt', {}, 'Category'),
      h('dd', {}, item.categories?.join(' › ') || '—'),
      h('dt', {}, 'In stock'),
      h('dd', {}, item.inStock ? 'yes' : 'no'),
    );
    byId('product-title').focus();
    const similar = await api<RecList>(`/v1/items/${enc(itemId)}/similar?k=5`);
    byId('similar').replaceChildren(...similar.items.map((i) => itemRow(i, similar, { feedback: false })));
    if (shopper !== undefined) {
      await sendEvent('view', itemId);
      await loadRecommendations();
    }
  } catch (error) {
    showError(error);
  }
}

async function productAction(type: string, button: HTMLButtonElement): Promise<void> {
  const item = product;
  if (item === undefined) return;
  const label: Record<string, string> = {
    add_to_cart: 'Adding…',
    purchase: 'Buying…',
    not_interested: 'Hiding…',
  };
  await busy(button, label[type] ?? '…', async () => {
    const quantity = type === 'add_to_cart' || type === 'purchase' ? { value: 1 } : {};
    const price = item.price !== undefined && type === 'purchase' ? { price: item.price } : {};
    await sendEvent(type, item.itemId, { ...quantity, ...price });
    await loadRecommendations();
  });
}

async function loadVersions(): Promise<void> {
  const view = await api<ModelsView>('/v1/admin/models');
  const servable = view.models.filter((m) => m.servable);
  const champion = view.deployment?.champion;
  for (const [id, pick] of [
    ['compare-a', champion],
    ['compare-b', servable.find((m) => m.modelVersion !== champion)?.modelVersion],
  ] as const) {
    const select = byId<HTMLSelectElement>(id);
    select.replaceChildren(
      ...servable.map((m) =>
        h(
          'option',
          { value: m.modelVersion, selected: m.modelVersion === pick },
          `${m.modelVersion} (${m.model ?? m.engine}${m.modelVersion === champion ? ', champion' : ''})`,
        ),
      ),
    );
  }
}

async function compare(): Promise<void> {
  if (shopper?.kind !== 'user') throw new Error('Compare needs a signed-in shopper (a shopper id).');
  const versions = ['compare-a', 'compare-b'].map((id) => byId<HTMLSelectElement>(id).value);
  if (versions.some((v) => v === '')) throw new Error('Pick two model versions to compare.');
  const lists = await Promise.all(
    versions.map((v) =>
      api<RecList>(
        `/v1/admin/users/${enc(shopper!.id)}/recommendations?modelVersion=${enc(v)}&${filterQuery()}`,
      ),
    ),
  );
  const [a, b] = lists as [RecList, RecList];
  const inA = new Set(a.items.map((i) => i.itemId));
  const inB = new Set(b.items.map((i) => i.itemId));
  const overlap = a.items.filter((i) => inB.has(i.itemId)).length;
  const column = (list: RecList, other: Set<string>, n: number) =>
    h(
      'div',
      { class: 'compare-column', 'data-version': list.modelVersion ?? '' },
      h('h3', {}, `Version ${n}: ${list.modelVersion ?? 'none'}`),
      h(
        'ol',
        { class: 'items' },
        ...list.items.map((i) => itemRow(i, list, { feedback: false, mark: other.has(i.itemId) })),
      ),
    );
  byId('compare-result').replaceChildren(
    h('p', {}, `${overlap} of ${a.items.length} items in both lists (marked "in both").`),
    h('div', { class: 'compare-grid' }, column(a, inB, 1), column(b, inA, 2)),
  );
}

function pick(next: Shopper): void {
  shopper = next;
  current = undefined;
  byId('changes').textContent = '';
  byId('shopper-label').textContent =
    next.kind === 'user' ? `Shopper ${next.id}` : `Anonymous session ${next.id}`;
  byId('shop').hidden = false;
  void loadRecommendations().catch(showError);
}

function wire(): void {
  byId<HTMLFormElement>('shopper-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = byId<HTMLInputElement>('shopper-id').value.trim();
    if (id === '') {
      showError(new Error('Enter a shopper id, or shop anonymously.'));
      return;
    }
    pick({ kind: 'user', id });
  });
  byId('anonymous').addEventListener('click', () =>
    pick({ kind: 'session', id: `web-${crypto.randomUUID().slice(0, 8)}` }),
  );
  byId<HTMLFormElement>('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    void loadRecommendations().catch(showError);
  });
  byId('trending-window').addEventListener('change', () => void loadTrending().catch(showError));
  for (const [id, type] of [
    ['do-cart', 'add_to_cart'],
    ['do-purchase', 'purchase'],
    ['do-not-interested', 'not_interested'],
  ] as const) {
    const button = byId<HTMLButtonElement>(id);
    button.addEventListener('click', () => void productAction(type, button));
  }
  const compareButton = byId<HTMLButtonElement>('compare-go');
  compareButton.addEventListener('click', () => void busy(compareButton, 'Comparing…', compare));
}

let wired = false;
void setup(() => {
  if (!wired) wire();
  wired = true;
  void loadTrending().catch(showError);
  void loadVersions().catch(showError);
});
