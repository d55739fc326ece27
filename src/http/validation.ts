/**
 * Request validation with Ajv. Bodies are validated strictly (no type coercion: `"5"` is not a
 * quantity; unknown fields are rejected); query strings and path parameters are coerced, since
 * they only ever arrive as text.
 */
import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { isCalendarDay, parseInstant } from '../domain/clock.js';

const base: Options = {
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  unicodeRegExp: true,
};
const strict = new Ajv({ ...base, coerceTypes: false });
const coercing = new Ajv({ ...base, coerceTypes: 'array' });

/** `format: 'date'`: a real calendar day (`2031-02-31` matches a pattern but is no date). */
const isCalendarDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) && isCalendarDay(value);
/** `format: 'instant'`: a date or an instant with its zone, on a real day and time (`parseInstant`). */
const isInstant = (value: string) => parseInstant(value) !== null;
/** `format: 'non-blank'`: some character other than whitespace (`"   "` names nothing). */
const isNonBlank = (value: string) => /\S/.test(value);
for (const ajv of [strict, coercing]) {
  ajv.addFormat('date', { type: 'string', validate: isCalendarDate });
  ajv.addFormat('non-blank', { type: 'string', validate: isNonBlank });
  ajv.addFormat('instant', { type: 'string', validate: isInstant });
}

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema);

const typeWords: Record<string, string> = {
  integer: 'must be a whole number',
  number: 'must be a number',
  string: 'must be text',
  boolean: 'must be true or false',
  object: 'must be an object',
  array: 'must be a list',
  null: 'must be null',
};

/**
 * Ajv's own wording for sizes, ranges and types in plain words, for people reading a form or a
 * CSV report: "must NOT have fewer than 1 characters" → "must not be empty", "must be >= 1" →
 * "must be at least 1", "must be integer" → "must be a whole number". Null for any other keyword
 * (the caller words those, or keeps Ajv's message).
 */
export function plainValidationMessage(e: {
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
}): string | null {
  if (e.keyword === 'type') return typeWords[String(e.params['type'])] ?? null;
  const n = e.params['limit'];
  if (typeof n !== 'number') return null;
  const plural = (word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  switch (e.keyword) {
    case 'minLength':
      return n === 1 ? 'must not be empty' : `must be at least ${plural('character')}`;
    case 'maxLength':
      return `must be at most ${plural('character')}`;
    case 'minItems':
      return n === 1 ? 'must not be empty' : `must have at least ${plural('item')}`;
    case 'maxItems':
      return `must have at most ${plural('item')}`;
    case 'minProperties':
      return n === 1 ? 'must name at least one field' : `must name at least ${plural('field')}`;
    case 'minimum':
      return `must be at least ${n}`;
    case 'maximum':
      return `must be at most ${n}`;
    case 'exclusiveMinimum':
      return `must be more than ${n}`;
    case 'exclusiveMaximum':
      return `must be less than ${n}`;
    default:
      return null;
  }
}
