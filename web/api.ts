/** The API client both pages share: where the API is (config.json), the key (this browser session only), errors. */

const KEY = 'recsys.apiKey';
let apiUrl = '';

class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** Creates an element with attributes and children; text is always set as text, never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined | ((e: Event) => void)> = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** Every error from the API is shown with its message: nothing is swallowed. */
export function showError(error: unknown): void {
  const list = byId('errors');
  const message = error instanceof Error ? error.message : String(error);
  const dismiss = h('button', { type: 'button', class: 'link', onclick: () => item.remove() }, 'Dismiss');
  const item = h('li', {}, h('span', {}, message), ' ', dismiss);
  list.append(item);
  list.hidden = false;
}

function apiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const key = apiKey();
  if (key === null) throw new ApiError(401, 'Enter the API key first (top of the page).');
  const headers = new Headers(init.headers);
  headers.set('x-api-key', key);
  const { json, ...rest } = init;
  if (json !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(`${apiUrl}${path}`, {
    ...rest,
    headers,
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = (body as { error?: { message?: string; code?: string } | string; message?: string })?.error;
    const message = typeof err === 'object' ? err.message : ((body as { message?: string })?.message ?? text);
    throw new ApiError(
      res.status,
      `${init.method ?? 'GET'} ${path}: ${res.status} ${message || res.statusText}`,
    );
  }
  return body as T;
}

/** The health route needs no key. */
export async function health(): Promise<{ status: string; version?: string; runtime?: string }> {
  const res = await fetch(`${apiUrl}/health`);
  if (!res.ok) throw new ApiError(res.status, `GET /health: ${res.status}`);
  return res.json();
}

/**
 * Reads config.json, then sets up the key form: the key is asked once and kept in sessionStorage, so it is gone
 * when the tab closes. Calls `ready` once a key is there (and again when it changes).
 */
export async function setup(ready: () => void): Promise<void> {
  const list = byId('errors');
  list.hidden = list.childElementCount === 0;
  try {
    const res = await fetch('config.json');
    if (res.ok) apiUrl = ((await res.json()) as { apiUrl?: string }).apiUrl?.replace(/\/$/, '') ?? '';
  } catch (error) {
    showError(new Error(`config.json could not be read: ${(error as Error).message}`));
  }
  const form = byId<HTMLFormElement>('key-form');
  const input = byId<HTMLInputElement>('api-key');
  const status = byId('key-status');
  const render = () => {
    const has = apiKey() !== null;
    status.textContent = has ? 'API key set for this session.' : 'Enter the API key to begin.';
    byId('forget-key').hidden = !has;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (value === '') {
      showError(new Error('The API key is empty.'));
      return;
    }
    sessionStorage.setItem(KEY, value);
    input.value = '';
    render();
    ready();
  });
  byId('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    render();
  });
  render();
  if (apiKey() !== null) ready();
}

/** Runs `work` with the button disabled and a busy label; errors are shown. */
export async function busy(
  button: HTMLButtonElement,
  label: string,
  work: () => Promise<void>,
): Promise<void> {
  const before = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    await work();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = before;
  }
}

export const fmt = {
  score: (x: number) => x.toFixed(3),
  price: (x: number | null) => (x === null ? '—' : `£${x.toFixed(2)}`),
  pct: (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(2)} %`),
  num: (x: number | null | undefined, digits = 4) =>
    x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits),
  int: (x: number) => x.toLocaleString('en-GB'),
};
