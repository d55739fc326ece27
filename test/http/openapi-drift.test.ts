import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { openDatabase } from '../../src/db/database.js';

describe('the committed OpenAPI document', () => {
  it('matches what the server generates (run `npm run openapi` after changing a route)', async () => {
    const database = openDatabase({ dialect: 'sqlite', file: ':memory:' });
    const app = await buildApp({ database });
    await app.ready();
    const generated = JSON.parse(JSON.stringify(app.swagger()));
    await app.close();
    await database.close();
    const committed = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
    expect(generated.openapi).toBe('3.1.0');
    expect(committed).toEqual(generated);
  });
});
