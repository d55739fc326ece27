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
