import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type ParseError, parse as parseLenient, printParseErrorCode } from 'jsonc-parser';
import { idSchema } from '../domain/text.ts';
import type { FieldError } from '../domain/validation.ts';

/** An error a caller can act on: shown to them with its status, code and details. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    extra: { details?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = extra.details;
    this.headers = extra.headers;
  }
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  if (headers[name] !== undefined) return headers[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * Parses a JSON request body with the checks every write route shares: media type (415), size (413) and syntax
 * (400 with the position JSON.parse reports). API Gateway allows 10 MB, so the size limit is ours to enforce.
 */
export function readJsonBody(event: APIGatewayProxyEvent, maxBytes: number): unknown {
  const type = header(event, 'content-type');
  if (type === undefined || !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type.trim())) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `content-type must be application/json, got ${type ?? 'none'}`,
    );
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : undefined;
  const size = bytes?.length ?? Buffer.byteLength(raw);
  if (size > maxBytes) {
    throw new HttpError(413, 'payload_too_large', `the body is ${size} bytes; the limit is ${maxBytes}`);
  }
  const text = bytes?.toString('utf8') ?? raw;
  if (text.trim() === '') throw new HttpError(400, 'invalid_json', 'the body is empty; expected JSON');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `malformed JSON: ${describeJsonError(text)}`, { cause: error });
  }
}

/**
 * V8's JSON.parse messages often omit where the problem is; jsonc-parser (strict settings) reports the offset,
 * which we turn into position, line and column. Only runs on the error path.
 */
function describeJsonError(text: string): string {
  const errors: ParseError[] = [];
  parseLenient(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first === undefined) return 'not valid JSON';
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = first.offset - before.lastIndexOf('\n');
  const code = printParseErrorCode(first.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return `${code} at position ${first.offset} (line ${line}, column ${column})`;
}

/**
 * Batch routes take `{ "<field>": [...] }` or a bare array. Returns the array or throws a 400 naming the field.
 */
export function batchFrom(body: unknown, field: string, max: number): unknown[] {
  const list = Array.isArray(body) ? body : (body as Record<string, unknown> | null)?.[field];
  if (!Array.isArray(list)) {
    throw new HttpError(
      400,
      'invalid_request',
      `expected an object with an array "${field}" (or a bare array)`,
      {
        details: [{ path: field, message: 'must be an array' }],
      },
    );
  }
  if (list.length === 0 || list.length > max) {
    throw new HttpError(
      400,
      'invalid_request',
      `"${field}" must hold 1 to ${max} entries, got ${list.length}`,
      {
        details: [{ path: field, message: `must hold 1 to ${max} entries` }],
      },
    );
  }
  return list;
}

function invalidPathParam(name: string, message: string, cause?: unknown): HttpError {
  return new HttpError(400, 'invalid_request', `${name} ${message}`, {
    details: [{ path: name, message }],
    cause,
  });
}

/**
 * A path parameter, decoded and held to the id rule every id in a body is held to (shared/domain/text.ts), so an
 * id too long or malformed is a 400 on every route instead of a lookup that cannot match. API Gateway (REST) hands
 * path parameters over still percent-encoded, and the local server does the same, so they are decoded here, once:
 * a malformed escape (`%ZZ`, or `%C0`, which is not UTF-8) is the caller's mistake, a 400 naming the parameter.
 */
export function pathParam(event: APIGatewayProxyEvent, name: string): string {
  const raw = event.pathParameters?.[name];
  if (raw === undefined || raw === null || raw === '') throw invalidPathParam(name, 'is required');
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch (error) {
    throw invalidPathParam(name, 'is not valid percent-encoded UTF-8', error);
  }
  const checked = idSchema.safeParse(value);
  if (!checked.success) throw invalidPathParam(name, checked.error.issues[0]!.message);
  return value;
}

/** What an upsert of a batch (items, profiles) reports: kept, refused by validation, not stored for now. */
export interface UpsertOutcome {
  upserted: number;
  rejected: { index: number; errors: { path: string; message: string }[] }[];
  unavailable: readonly unknown[];
}

/**
 * The answer of a batch upsert route: 503 with Retry-After when some records could not be stored (the client
 * resends them), 400 naming every field when none was valid, else 200 with what was kept and refused.
 */
export function upsertResponse(
  result: UpsertOutcome,
  batch: { field: string; code: string; noun: string },
): APIGatewayProxyResult {
  const { upserted, rejected, unavailable } = result;
  if (unavailable.length > 0)
    return jsonResponse(503, { upserted, rejected, unavailable }, { 'retry-after': '2' });
  if (upserted === 0)
    throw new HttpError(400, batch.code, `no ${batch.noun} in the batch is valid`, {
      details: rejected.flatMap((r) =>
        r.errors.map((e) => ({ path: `${batch.field}[${r.index}].${e.path}`, message: e.message })),
      ),
    });
  return jsonResponse(200, { upserted, rejected });
}
