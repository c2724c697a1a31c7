import { z } from 'zod';

/**
 * The one rule for text the API takes, ids and prose alike: no control characters (Unicode Cc: C0, DEL and C1).
 * They would corrupt the newline-delimited lake files and DynamoDB keys, and no shop means them. Prose that may
 * run over several lines (an item's description) keeps the three layout characters tab, line feed and carriage
 * return; nothing else of Cc. openapi.yaml spells the same rule as `[^\x00-\x1f\x7f-\x9f]`.
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

/** A single-line text field of at most `max` characters. */
export function singleLine(max: number) {
  return z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !CONTROL.test(v), CONTROL_MESSAGE);
}

/** Prose of at most `max` characters: line breaks and tabs allowed, other control characters not. */
export function multiLine(max: number) {
  return z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !CONTROL_BUT_LAYOUT.test(v), LAYOUT_CONTROL_MESSAGE);
}

/** Every id: users, sessions, items, recommendations, feedback; in bodies and in paths. */
export const idSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
  .refine((v) => !CONTROL.test(v), CONTROL_MESSAGE);

/** The same rule as `idSchema`, for hot paths that cannot afford zod: true when the value is a valid id. */
export function isId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH && !CONTROL.test(value)
  );
}
