/**
 * Request bodies are JSON in UTF-8 (RFC 8259 §8.1). Fastify's own parser decodes whatever bytes
 * arrive as UTF-8, so a Latin-1 "Müller" would be stored as "M\uFFFDller"; here a body that is not
 * UTF-8 is a 400 before anything is parsed. A `charset` parameter is ignored, as RFC 8259 §11 says
 * compliant recipients do: the bytes decide (older HTTP clients declare ISO-8859-1 for ASCII JSON).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';

type Done = (error: Error | null, body?: unknown) => void;

const httpError = (statusCode: number, code: string, message: string): Error =>
  Object.assign(new Error(message), { statusCode, code });

/** The `application/json` content-type parser: UTF-8 checked, then Fastify's safe JSON parse. */
export function parseUtf8Json(app: FastifyInstance) {
  // Fastify's parser, with its protection against __proto__ and constructor.prototype keys.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  return (req: FastifyRequest, body: Buffer, done: Done): void => {
    // A compressed body (`Content-Encoding: gzip`) would fail below as "not UTF-8": the coding,
    // not the bytes, is what is refused (RFC 9110 §8.4.1: 415).
    const coding = req.headers['content-encoding']?.trim().toLowerCase();
    if (coding !== undefined && coding !== '' && coding !== 'identity') {
      done(
        httpError(
          415,
          'UNSUPPORTED_CONTENT_ENCODING',
          `Content-Encoding ${coding.slice(0, 40)} is not supported: send the body uncompressed.`,
        ),
      );
      return;
    }
    if (!isUtf8(body)) {
      done(httpError(400, 'FST_ERR_CTP_INVALID_UTF8', 'The body is not valid UTF-8.'));
      return;
    }
    const text = body.toString('utf8');
    void parseJson(req, text, (error, value) => {
      if (error !== null && /"(__proto__|prototype)"/.test(text) && isPlainJson(text)) {
        // Valid JSON that Fastify's parser refused: a "__proto__" key, or "constructor" holding
        // "prototype" (prototype poisoning). Say so instead of "not valid JSON".
        done(
          httpError(
            400,
            'FST_ERR_CTP_FORBIDDEN_KEY',
            'The body has a "__proto__" key or a "constructor" with a "prototype": such keys are refused.',
          ),
        );
        return;
      }
      done(error, value);
    });
  };
}

function isPlainJson(text: string): boolean {
  try {
    JSON.parse(text); // "__proto__" becomes an own property here, harmless
    return true;
  } catch {
    return false;
  }
}
