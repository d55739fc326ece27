import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeUser, signIn } from '../helpers/session.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { OutboxFeed, type FeedEvent } from '../../src/app/events/outbox-feed.js';

type Stream = {
  readonly status: number;
  readonly headers: Headers;
  /** Everything received so far. */
  text(): string;
  /** Resolves once the received text satisfies `test`, or rejects after `ms`. */
  until(test: (text: string) => boolean, ms?: number): Promise<string>;
  close(): void;
};

async function openStream(url: string, headers: Record<string, string>): Promise<Stream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  let buffer = '';
  const waiters = new Set<() => void>();
  if (res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          for (const w of waiters) w();
        }
      } catch {
        // aborted
      }
    })();
  }
  return {
    status: res.status,
    headers: res.headers,
    text: () => buffer,
    until(test, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (test(buffer)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(buffer);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`stream did not match in ${ms} ms; got:\n${buffer}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}

type Message = { id: string | null; data: any };

function messages(text: string): Message[] {
  return text
    .split('\n\n')
    .map((block) => {
      const lines = block.split('\n');
      const id = lines.find((l) => l.startsWith('id: '))?.slice(4) ?? null;
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
      return data === undefined ? null : { id, data: JSON.parse(data) };
    })
    .filter((m): m is Message => m !== null);
}

async function streamClients(s: TestServer): Promise<number> {
  const r = await s.request('GET', '/metrics');
  const m = /^kibble_event_stream_clients (\d+)$/m.exec(r.body as string);
  return Number(m?.[1]);
}

for (const dialect of DIALECTS) {
  describe(`live event stream on ${dialect}`, () => {
    let s: TestServer;
    let previousHeartbeat: string | undefined;
    beforeAll(async () => {
      previousHeartbeat = process.env['KIBBLE_SSE_HEARTBEAT_MS'];
      process.env['KIBBLE_SSE_HEARTBEAT_MS'] = '300';
      s = await startServer(dialect);
    });
    afterAll(async () => {
      if (previousHeartbeat === undefined) delete process.env['KIBBLE_SSE_HEARTBEAT_MS'];
      else process.env['KIBBLE_SSE_HEARTBEAT_MS'] = previousHeartbeat;
      await s?.close();
    });

    it('streams stock changes as they commit, with ids, heartbeats and the documented shape', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      const stream = await openStream(`${s.url}/api/v1/events/stream`, {
        authorization: `Bearer ${s.adminKey}`,
      });
      try {
        expect(stream.status).toBe(200);
        expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
        expect(stream.headers.get('cache-control')).toMatch(/no-cache/);
        await stream.until((t) => t.includes(': connected'));

        await receive(s, sku.sku, loc.code, 12);
        const text = await stream.until((t) => messages(t).some((m) => m.data.payload?.sku === sku.sku));
        const event = messages(text).find((m) => m.data.payload?.sku === sku.sku)!;
        expect(event.id).toMatch(/^\d+$/);
        expect(event.data).toEqual({
          type: 'stock.changed',
          aggregateType: 'sku',
          aggregateId: sku.id,
          payload: {
            sku: sku.sku,
            location: loc.code,
            onHand: 12,
            allocated: 0,
            quarantined: 0,
            available: 12,
          },
          createdAt: expect.any(String),
        });
        await stream.until((t) => t.includes(': heartbeat'));
      } finally {
        stream.close();
      }
    });

    it('resumes after Last-Event-ID with exactly the missed events, in order', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 1);
      const first = await s.testDb.database.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.max('seq').as('m'))
        .executeTakeFirstOrThrow();
      const from = Number(first.m);
      await receive(s, sku.sku, loc.code, 2);
      await receive(s, sku.sku, loc.code, 3);

      const stream = await openStream(`${s.url}/api/v1/events/stream`, {
        authorization: `Bearer ${s.adminKey}`,
        'last-event-id': String(from),
      });
      try {
        const text = await stream.until(
          (t) => messages(t).filter((m) => m.data.payload?.sku === sku.sku).length >= 2,
        );
        const mine = messages(text).filter((m) => m.data.payload?.sku === sku.sku);
        expect(mine.map((m) => m.data.payload.onHand)).toEqual([3, 6]);
        expect(Number(mine[0]!.id)).toBeGreaterThan(from);

        // New events still arrive after the catch-up, once each.
        await receive(s, sku.sku, loc.code, 4);
        const later = await stream.until(
          (t) => messages(t).filter((m) => m.data.payload?.sku === sku.sku).length >= 3,
        );
        await new Promise((r) => setTimeout(r, 700));
        const all = messages(stream.text()).filter((m) => m.data.payload?.sku === sku.sku);
        expect(all.map((m) => m.data.payload.onHand)).toEqual([3, 6, 10]);
        expect(new Set(all.map((m) => m.id)).size).toBe(3);
        expect(later).toContain('id: ');
      } finally {
        stream.close();
      }
    });

    it('tells a client to reload when the event it last saw was deleted by retention', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 1);
      const db = s.testDb.database.db;
      const last = Number(
        (
          await db
            .selectFrom('outbox')
            .select((eb) => eb.fn.max('seq').as('m'))
            .executeTakeFirstOrThrow()
        ).m,
      );
      await receive(s, sku.sku, loc.code, 2);
      // Retention deleted the client's last event (and everything before it).
      await db.deleteFrom('outbox').where('seq', '<=', last).execute();
      const stream = await openStream(`${s.url}/api/v1/events/stream`, {
        authorization: `Bearer ${s.adminKey}`,
        'last-event-id': String(last),
      });
      try {
        const text = await stream.until((t) => messages(t).some((m) => m.data.type === 'stream.reset'));
        const reset = messages(text).find((m) => m.data.type === 'stream.reset')!;
        expect(reset.data.payload.reason).toMatch(/deleted/);
        expect(messages(text).filter((m) => m.data.payload?.sku === sku.sku)).toEqual([]);
      } finally {
        stream.close();
      }
    });

    it('tells a client whose last event is newer than any here (another or a restored database) to reload, and why', async () => {
      const stream = await openStream(`${s.url}/api/v1/events/stream`, {
        authorization: `Bearer ${s.adminKey}`,
        'last-event-id': '999999999',
      });
      try {
        const text = await stream.until((t) => messages(t).some((m) => m.data.type === 'stream.reset'));
        const reset = messages(text).find((m) => m.data.type === 'stream.reset')!;
        expect(reset.data.payload.reason).toMatch(/newer than any this server has/);
      } finally {
        stream.close();
      }
    });

    it('accepts a browser session cookie and refuses anonymous clients', async () => {
      const user = await makeUser(s, { role: 'readonly' });
      const session = await signIn(s, user.email);
      const stream = await openStream(`${s.url}/api/v1/events/stream`, { cookie: session.cookie });
      try {
        expect(stream.status).toBe(200);
        await stream.until((t) => t.includes(': connected'));
      } finally {
        stream.close();
      }
      const anonymous = await s.request('GET', '/api/v1/events/stream', undefined, { key: null });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toMatch(/problem\+json/);
      const badQuery = await s.request('GET', '/api/v1/events/stream?lastEventId=abc');
      expect(badQuery.status).toBe(400);
    });

    it('lets go of clients that disconnect', async () => {
      const streams = await Promise.all(
        [1, 2, 3].map(() =>
          openStream(`${s.url}/api/v1/events/stream`, { authorization: `Bearer ${s.adminKey}` }),
        ),
      );
      await Promise.all(streams.map((st) => st.until((t) => t.includes(': connected'))));
      expect(await streamClients(s)).toBe(3);
      for (const st of streams) st.close();
      for (let i = 0; i < 50 && (await streamClients(s)) !== 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await streamClients(s)).toBe(0);
    });
  });

  describe(`outbox feed on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(async () => t?.drop());

    async function insertAt(seq: number, type: string) {
      const overriding = dialect === 'postgres' ? sql`overriding system value` : sql``;
      await sql`insert into outbox (seq, id, type, aggregate_type, aggregate_id, payload, created_at)
        ${overriding} values (${seq}, ${`evt_${seq}`}, ${type}, 'test', 'x', '{}', '2026-01-01T00:00:00.000Z')`.execute(
        t.database.db,
      );
    }

    it('delivers a late-committed lower seq once, and gives up on a gap only after the wait', async () => {
      const feed = new OutboxFeed(() => t.database.db, { intervalMs: 60_000, gapWaitMs: 1000 });
      const got: FeedEvent[] = [];
      const unsubscribe = await feed.subscribe((events) => got.push(...events));
      const base = feed.position;
      try {
        await insertAt(base + 1, 'a');
        await insertAt(base + 3, 'c');
        await feed.pollOnce(0);
        expect(got.map((e) => e.type)).toEqual(['a', 'c']);
        expect(feed.position).toBe(base + 1);

        await insertAt(base + 2, 'b'); // committed late, below an event already delivered
        await feed.pollOnce(500);
        expect(got.map((e) => e.type)).toEqual(['a', 'c', 'b']);
        expect(feed.position).toBe(base + 3);

        await insertAt(base + 6, 'f'); // 4 and 5 never commit
        await feed.pollOnce(1000);
        await feed.pollOnce(1500);
        expect(feed.position).toBe(base + 3);
        await feed.pollOnce(2001);
        expect(feed.position).toBe(base + 6);
        await feed.pollOnce(3000);
        expect(got.map((e) => e.type)).toEqual(['a', 'c', 'b', 'f']);
      } finally {
        unsubscribe();
        feed.stop();
      }
    });

    it('keeps delivering new events while a gap holds its cursor back, more than a batch of them', async () => {
      const feed = new OutboxFeed(() => t.database.db, { intervalMs: 60_000, gapWaitMs: 5000, batch: 50 });
      const got: FeedEvent[] = [];
      const unsubscribe = await feed.subscribe((events) => got.push(...events));
      const base = feed.position;
      try {
        await insertAt(base + 1, 'first');
        // base + 2 is a rolled-back insert: it never commits. Then a busy outbox: 4 batches' worth.
        for (let i = 3; i <= 202; i++) await insertAt(base + i, `e${i}`);
        for (let poll = 0; poll < 6; poll++) await feed.pollOnce(poll * 100); // well within the wait
        expect(got).toHaveLength(201);
        expect(feed.position).toBe(base + 1);
        await insertAt(base + 2, 'late'); // it did commit after all
        await feed.pollOnce(700);
        expect(got.at(-1)?.type).toBe('late');
        expect(feed.position).toBe(base + 202);
        expect(new Set(got.map((e) => e.seq)).size).toBe(202);
      } finally {
        unsubscribe();
        feed.stop();
      }
    });
  });
}
