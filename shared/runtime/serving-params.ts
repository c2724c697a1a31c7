import type { APIGatewayProxyEvent } from 'aws-lambda';
import { hasControlCharacters, withinLength } from '../domain/text.ts';
import { DEFAULT_EXCLUDE, EXCLUDE_KINDS, type ExcludeKind, type Filters } from '../serving/recommender.ts';
import { HttpError } from './http.ts';

/** Query and path parameters of the serving routes: every invalid one is a 400 naming it. */

function invalid(path: string, message: string): HttpError {
  return new HttpError(400, 'invalid_request', `${path} ${message}`, { details: [{ path, message }] });
}

export function query(event: APIGatewayProxyEvent, name: string): string | undefined {
  const v = event.queryStringParameters?.[name];
  return v === undefined || v === null ? undefined : v;
}

export function intParam(
  event: APIGatewayProxyEvent,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = query(event, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw invalid(name, `must be an integer from ${min} to ${max}`);
  return Number(raw);
}

function priceParam(event: APIGatewayProxyEvent, name: string): number | undefined {
  const raw = query(event, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw invalid(name, 'must be a non-negative number');
  return n;
}

function textParam(event: APIGatewayProxyEvent, name: string): string | undefined {
  const raw = query(event, name);
  if (raw === undefined) return undefined;
  if (raw === '' || !withinLength(raw, 128) || hasControlCharacters(raw))
    throw invalid(name, 'must be 1–128 characters without control characters');
  return raw;
}

function filtersOf(event: APIGatewayProxyEvent, k: number): Filters {
  const minPrice = priceParam(event, 'minPrice');
  const maxPrice = priceParam(event, 'maxPrice');
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice)
    throw invalid('minPrice', 'must not exceed maxPrice');
  const category = textParam(event, 'category');
  const cap =
    query(event, 'maxPerCategory') !== undefined ? intParam(event, 'maxPerCategory', 1, 100, k) : undefined;
  return {
    ...(category !== undefined ? { category } : {}),
    ...(minPrice !== undefined ? { minPrice } : {}),
    ...(maxPrice !== undefined ? { maxPrice } : {}),
    ...(cap !== undefined ? { maxPerCategory: cap } : {}),
  };
}

/** `exclude=purchased,not_interested` (the default), `exclude=none`, or any list of EXCLUDE_KINDS. */
function excludeOf(event: APIGatewayProxyEvent): ExcludeKind[] {
  const raw = query(event, 'exclude');
  if (raw === undefined) return [...DEFAULT_EXCLUDE];
  if (raw === 'none' || raw === '') return [];
  const kinds = raw.split(',').map((s) => s.trim());
  for (const kind of kinds)
    if (!(EXCLUDE_KINDS as readonly string[]).includes(kind))
      throw invalid('exclude', `must be "none" or a comma-separated list of ${EXCLUDE_KINDS.join(', ')}`);
  return kinds as ExcludeKind[];
}

export function personalRequest(event: APIGatewayProxyEvent) {
  const k = intParam(event, 'k', 1, 100, 10);
  const context = textParam(event, 'context');
  return {
    k,
    filters: filtersOf(event, k),
    exclude: excludeOf(event),
    ...(context !== undefined ? { context } : {}),
  };
}

export { invalid as invalidParam, textParam };
