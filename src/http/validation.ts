/**
 * Request validation with Ajv. Bodies are validated strictly (no type coercion: `"5"` is not a
 * quantity; unknown fields are rejected); query strings and path parameters are coerced, since
 * they only ever arrive as text.
 */
import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const base: Options = {
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  unicodeRegExp: true,
};
const strict = new Ajv({ ...base, coerceTypes: false });
const coercing = new Ajv({ ...base, coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema);
