/**
 * `GET /events/stream`: Server-Sent Events fed from the outbox, for the web admin's live updates.
 * Each message has `id: <outbox seq>` and JSON `data: {type, aggregateType, aggregateId, payload,
 * createdAt}`. A client that reconnects with `Last-Event-ID` (header, or `lastEventId` in the
 * query for a first connection) first receives what it missed, up to 1,000 events; further behind,
 * or when the event it last saw has since been deleted (older than `KIBBLE_EVENT_RETENTION_DAYS`,
 * so some it missed may be gone too), it gets one `stream.reset` message and should reload its data. A comment line every 15 s
 * (`KIBBLE_SSE_HEARTBEAT_MS`) keeps proxies from closing an idle stream.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Gauge } from 'prom-client';
import { can } from '../../domain/access.js';
import {
  OutboxFeed,
  latestOutboxSeq,
  outboxAfter,
  outboxHas,
  type FeedEvent,
} from '../../app/events/outbox-feed.js';
import { problemResponses } from '../schemas/common.schema.js';

const CATCH_UP_LIMIT = 1_000;
const MAX_BUFFERED_BYTES = 1024 * 1024;

function frame(e: FeedEvent): string {
  const data = {
    type: e.type,
    aggregateType: e.aggregateType,
    aggregateId: e.aggregateId,
    payload: e.payload,
    createdAt: e.createdAt,
  };
  return `id: ${e.seq}\ndata: ${JSON.stringify(data)}\n\n`;
}

function positiveInt(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}

export default async function eventRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const heartbeatMs = Number(process.env['KIBBLE_SSE_HEARTBEAT_MS'] ?? 15_000);
  const feed = new OutboxFeed(() => app.database.db, {
    onError: (error) => app.log.warn({ err: error }, 'outbox feed poll failed'),
  });
  const open = new Set<() => void>();
  const gaugeName = 'kibble_event_stream_clients';
  new Gauge({
    name: gaugeName,
    help: 'Open Server-Sent Events streams',
    registers: [app.metricsRegistry],
    collect() {
      this.set(open.size);
    },
  });
  app.addHook('onClose', async () => {
    app.metricsRegistry.removeSingleMetric(gaugeName);
  });

  app.addHook('preClose', async () => {
    feed.stop();
    for (const end of [...open]) end();
  });

  app.get(
    '/events/stream',
    {
      schema: {
        tags: ['events'],
        summary: 'Live domain events (Server-Sent Events) from the outbox',
        description:
          'text/event-stream. Each message: `id` = outbox sequence, `data` = JSON `{type, aggregateType, aggregateId, payload, createdAt}`. Send `Last-Event-ID` to resume. All roles may read.',
        querystring: Type.Object(
          { lastEventId: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.String({ description: 'text/event-stream' }), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req, reply) => {
      const resumeFrom = positiveInt(req.headers['last-event-id']) ?? req.query.lastEventId ?? null;
      const raw = reply.raw;
      let ended = false;
      let catchingUp = resumeFrom !== null;
      const queued: FeedEvent[] = [];
      const replayed = new Set<number>();

      const write = (chunk: string) => {
        if (ended) return;
        raw.write(chunk);
        // A client that stops reading is dropped; it reconnects and resumes with Last-Event-ID.
        if (raw.writableLength > MAX_BUFFERED_BYTES) end();
      };
      const deliver = (events: readonly FeedEvent[]) => {
        if (catchingUp) {
          queued.push(...events);
          return;
        }
        let out = '';
        for (const e of events) {
          if (replayed.delete(e.seq)) continue;
          out += frame(e);
        }
        if (out) write(out);
      };

      let unsubscribe: () => void = () => undefined;
      let heartbeat: NodeJS.Timeout | null = null;
      function end() {
        if (ended) return;
        ended = true;
        unsubscribe();
        if (heartbeat) clearInterval(heartbeat);
        open.delete(end);
        raw.end();
      }

      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': req.id,
      });
      open.add(end);
      req.raw.on('close', end);
      raw.on('error', end);
      write('retry: 3000\n: connected\n\n');

      try {
        unsubscribe = await feed.subscribe(deliver);
      } catch (error) {
        req.log.error({ err: error }, 'could not start the event stream');
        end();
        return;
      }
      if (ended) {
        unsubscribe();
        return;
      }
      heartbeat = setInterval(() => write(`: heartbeat ${new Date().toISOString()}\n\n`), heartbeatMs);
      heartbeat.unref();

      if (resumeFrom !== null) {
        try {
          const missed = await outboxAfter(app.database.db, resumeFrom, CATCH_UP_LIMIT + 1);
          // The client saw event `resumeFrom`, so it existed: if it is gone, retention deleted it,
          // and possibly events after it that the client never saw.
          const pruned = resumeFrom > 0 && !(await outboxHas(app.database.db, resumeFrom));
          // Unless it is beyond the newest: then it never existed here (another database, or this
          // one restored from a backup).
          const unknown = pruned && resumeFrom > (await latestOutboxSeq(app.database.db));
          if (missed.length > CATCH_UP_LIMIT || pruned) {
            const reset = {
              type: 'stream.reset',
              aggregateType: 'stream',
              aggregateId: '',
              payload: {
                reason: unknown
                  ? `event ${resumeFrom} is newer than any this server has (another database, or one restored from a backup); reload`
                  : pruned
                    ? `event ${resumeFrom} and perhaps later ones were deleted (older than the retention window); reload`
                    : `more than ${CATCH_UP_LIMIT} events were missed; reload`,
              },
              createdAt: new Date().toISOString(),
            };
            write(`data: ${JSON.stringify(reset)}\n\n`);
          } else {
            let out = '';
            for (const e of missed) {
              replayed.add(e.seq);
              out += frame(e);
            }
            if (out) write(out);
          }
        } catch (error) {
          req.log.error({ err: error }, 'event stream catch-up failed');
          end();
          return;
        }
        // Events the feed delivered during the catch-up are skipped when already replayed; of the
        // rest, only those above the feed's position can still arrive, so only those are remembered.
        catchingUp = false;
        deliver(queued.splice(0));
        for (const seq of replayed) if (seq <= feed.position) replayed.delete(seq);
      }
    },
  );
}
