import { buildApp } from '../http/app.js';
import { openDatabase } from '../db/database.js';

/** Prints the OpenAPI document exactly as `/api/v1/openapi.json` serves it. */
export async function printOpenApi(): Promise<void> {
  const database = openDatabase({ dialect: 'sqlite', file: ':memory:' });
  const app = await buildApp({ database });
  await app.ready();
  process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
  await app.close();
  await database.close();
}
