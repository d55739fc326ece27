/**
 * Starts Kibble: opens the database, migrates, makes sure an admin key exists (printed once), and
 * listens. The only module that calls `listen`.
 */
import { ConfigError, adminKeyFromEnv } from '../config.js';
import { buildApp, type App } from '../http/app.js';
import { configFromEnv, openDatabase, serverConfig, type Database } from '../db/database.js';
import { ensureAdminKey } from '../app/access/api-keys.js';
import { idempotencyTtlHours, startIdempotencyRetention } from '../jobs/idempotency-retention.job.js';
import { startLeaseExpiry } from '../jobs/lease-expiry.job.js';
import { startLotExpiry } from '../jobs/lot-expiry.job.js';
import { startBackorderJob } from '../jobs/backorders.job.js';
import { eventRetentionDays, startOutboxRetention } from '../jobs/outbox-retention.job.js';

export type ServeOptions = {
  readonly port: number;
  readonly host: string;
  readonly log: boolean;
  readonly out?: (line: string) => void;
};

export type Running = {
  readonly app: App;
  readonly database: Database;
  readonly url: string;
  close(): Promise<void>;
};

const listenProblems: Record<string, string> = {
  EADDRINUSE: 'the port is in use, perhaps by another Kibble',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'no such address on this machine',
  ENOTFOUND: 'no such host',
};

/** A listen failure a user can fix (port taken, bad host) as one line; anything else as it is. */
function listenError(error: unknown, options: { host: string; port: number }): unknown {
  const problem = listenProblems[(error as { code?: string }).code ?? ''];
  return problem === undefined
    ? error
    : new ConfigError(
        `cannot listen on ${options.host}:${options.port} (${problem}): free it, or choose another port with PORT=… or --port, or another address with --host`,
      );
}

export async function serve(
  options: ServeOptions,
  database: Database = openDatabase(serverConfig(configFromEnv())),
): Promise<Running> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  // Bad settings stop the start before anything listens.
  const ttlHours = idempotencyTtlHours();
  const eventDays = eventRetentionDays();
  const adminKey = adminKeyFromEnv();
  await database.migrate();
  const app = await buildApp({
    database,
    logger: options.log ? { level: process.env['LOG_LEVEL'] ?? 'info' } : false,
  });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    try {
      await app.close();
    } finally {
      await database.close();
    }
    throw listenError(error, options);
  }
  // Only once the server listens: a first admin key made for a server that never started would
  // never be shown, and the next start would not make another. Until it exists, requests get 401.
  const created = await database.transact((tx) => ensureAdminKey(tx, adminKey));
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const url = `http://${shownHost}:${port}`;
  out(`Kibble is running at ${url} (${database.dialect})`);
  out(`API docs: ${url}/api/docs`);
  if (created) {
    out(`Admin API key (shown once, keep it safe): ${created.key}`);
    out(`Open ${url} and paste this key to create the first admin user (or: kibble users create).`);
  }
  const backorders = startBackorderJob(database, 1000, (e) =>
    app.log.error({ err: e }, 'serving backorders failed'),
  );
  // Stock a request freed serves waiting backorders before that request answers, not at the job's
  // next tick: its client's next order cannot take it first. Leases the job expires, likewise.
  app.stockFreed = () => backorders.now();
  const stopLeases = startLeaseExpiry(
    database,
    1000,
    (e) => app.log.error({ err: e }, 'lease expiry failed'),
    () => backorders.now(),
  );
  const stopLotExpiry = startLotExpiry(database, 60_000, (e) =>
    app.log.error({ err: e }, 'announcing expired lots failed'),
  );
  const stopRetention = startIdempotencyRetention(database, ttlHours, 60_000, (e) =>
    app.log.error({ err: e }, 'idempotency key retention failed'),
  );
  const stopEventRetention = startOutboxRetention(database, eventDays, 60_000, (e) =>
    app.log.error({ err: e }, 'event retention failed'),
  );
  let closing: Promise<void> | null = null;
  return {
    app,
    database,
    url,
    close: () => {
      stopLeases();
      stopLotExpiry();
      backorders.stop();
      stopRetention();
      stopEventRetention();
      return (closing ??= app.close().then(() => database.close()));
    },
  };
}
