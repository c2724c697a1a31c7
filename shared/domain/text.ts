import { z } from 'zod';

/**
 * The one rule for text the API takes, ids and prose alike: no control characters (Unicode Cc: C0, DEL and C1).
 * They would corrupt the newline-delimited lake files and DynamoDB keys, and no shop means them. Prose that may
 * run over several lines (an item's description) keeps the three layout characters tab, line feed and carriage
 * return; nothing else of Cc. Lengths count characters (code points), as JSON Schema's maxLength does, so that
 * openapi.yaml can state the same limits: it spells the rule as the pattern `[^\x00-\x1f\x7f-\x9f]`.
 */
export const MAX_ID_LENGTH = 128;

const CONTROL = /\p{Cc}/u;
/** Cc except tab, line feed and carriage return. */
const CONTROL_BUT_LAYOUT = /(?![\t\n\r])\p{Cc}/u;

const CONTROL_MESSAGE = 'must not contain control characters';
const LAYOUT_CONTROL_MESSAGE = 'must not contain control characters other than tab and line breaks';

export function hasControlCharacters(value: string, options: { multiline?: boolean } = {}): boolean {
  return (options.multiline === true ? CONTROL_BUT_LAYOUT : CONTROL).test(value);
}

/** Whether `value` has at most `max` code points; UTF-16 length decides alone unless astral characters could matter. */
export function withinLength(value: string, max: number): boolean {
  if (value.length <= max) return true;
  if (value.length > 2 * max) return false;
  let n = 0;
  for (const _ of value) if (++n > max) return false;
  return true;
}

function text(max: number, control: RegExp, message: string) {
  return z
    .string()
    .refine((v) => withinLength(v, max), `must be at most ${max} characters`)
    .refine((v) => !control.test(v), message);
}

/** A single-line text field of at most `max` characters. */
export function singleLine(max: number) {
  return text(max, CONTROL, CONTROL_MESSAGE);
}

/** Prose of at most `max` characters: line breaks and tabs allowed, other control characters not. */
export function multiLine(max: number) {
  return text(max, CONTROL_BUT_LAYOUT, LAYOUT_CONTROL_MESSAGE);
}

/** Every id: users, sessions, items, recommendations, feedback; in bodies and in paths. */
export const idSchema = singleLine(MAX_ID_LENGTH).min(1, 'must not be empty');

/**
 * The same rule as `idSchema`, for hot paths that cannot afford zod. It may refuse what `idSchema` takes (ids
 * of astral characters longer than 128 UTF-16 units): callers fall back to zod when it says no.
 */
export function isId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH && !CONTROL.test(value)
  );
}
