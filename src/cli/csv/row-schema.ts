/**
 * Checks CSV rows against the SAME TypeBox schemas that validate HTTP request bodies (STYLE.md:
 * one schema, many uses), compiled by the API's own body validator: no type coercion, every
 * error reported, the same formats (a real calendar day for dates). The CSV layer converts cell
 * text to JSON values first; the schema then says what is wrong with them, in the API's words.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { TSchema } from 'typebox';
import type { FieldError } from '../../domain/errors.js';
import { patterns } from '../../http/schemas/common.schema.js';
import { plainValidationMessage, validatorCompiler } from '../../http/validation.js';

const compiled = new WeakMap<object, ValidateFunction>();

function messageOf(errors: readonly ErrorObject[]): string {
  const allowed = errors.filter((e) => e.keyword === 'const').map((e) => String(e.params['allowedValue']));
  if (allowed.length > 0) return `must be one of ${allowed.join(', ')}`;
  const first = errors.find((e) => e.keyword !== 'anyOf') ?? errors[0]!;
  const plain = plainValidationMessage(first);
  if (plain !== null) return plain;
  if (first.keyword === 'format' && first.params['format'] === 'date')
    return 'is not a day of the calendar (YYYY-MM-DD)';
  if (first.keyword === 'format' && first.params['format'] === 'non-blank') return 'must not be blank';
  if (first.keyword === 'pattern') {
    const pattern = String(first.params['pattern']);
    if (pattern.includes('\\d{4}-')) return 'must be a date written YYYY-MM-DD';
    if (pattern === '^[A-Z]{3}$') return 'must be a three-letter ISO-4217 code such as USD';
    if (pattern === patterns.country)
      return 'must be an assigned two-letter ISO 3166 country code such as US';
    return 'contains characters that are not allowed';
  }
  return first.message ?? 'is invalid';
}

/** Field errors of `value` against `schema`, one per field, as `a.0.b` paths. */
export function checkAgainst(schema: TSchema, value: unknown): FieldError[] {
  let validate = compiled.get(schema);
  if (!validate) {
    // The API's own body validator: same Ajv instance, options and formats as HTTP requests.
    validate = validatorCompiler({
      schema,
      method: 'POST',
      url: '(csv)',
      httpPart: 'body',
    }) as ValidateFunction;
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of validate.errors ?? []) {
    let path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const extra =
      e.keyword === 'required'
        ? e.params['missingProperty']
        : e.keyword === 'additionalProperties'
          ? e.params['additionalProperty']
          : undefined;
    if (typeof extra === 'string') path = path ? `${path}.${extra}` : extra;
    const list = byPath.get(path) ?? [];
    list.push(e);
    byPath.set(path, list);
  }
  return [...byPath].map(([field, errors]) => ({ field: field || '(row)', message: messageOf(errors) }));
}
