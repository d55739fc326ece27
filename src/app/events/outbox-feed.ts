/**
 * A live feed of committed domain events, read from the transactional outbox in `seq` order.
 * One feed per process polls the table (every ~300 ms, only while someone listens) and fans each
 * new event out to every subscriber, so a hundred open browser tabs cost one query per interval.
 *
 * Gaps: on PostgreSQL a `seq` is taken at insert but becomes visible at commit, so a lower `seq`
 * can appear after a higher one. The feed therefore remembers which events above its cursor it has
 * already delivered and keeps looking at a missing `seq` for `gapWaitMs` (5 s) before treating it
 * as a rolled-back insert. Each event is delivered at most once per feed, late ones included.
 */
import type { Tx } from '../../db/database.js';

export type FeedEvent = {
  readonly seq: number;
  readonly type: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly payload: unknown;
  readonly createdAt: string;
};

export type FeedListener = (events: readonly FeedEvent[]) => void;

const feedColumns = ['seq', 'type', 'aggregate_type', 'aggregate_id', 'payload', 'created_at'] as const;

function feedEventOf(r: {
  seq: number | bigint | string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: string;
  created_at: string;
}): FeedEvent {
  return {
    seq: Number(r.seq),
    type: r.type,
    aggregateType: r.aggregate_type,
    aggregateId: r.aggregate_id,
    payload: JSON.parse(r.payload) as unknown,
    createdAt: r.created_at,
  };
}

/** Events with `seq` greater than `after`, oldest first, at most `limit`. */
export async function outboxAfter(tx: Tx, after: number, limit: number): Promise<FeedEvent[]> {
  const rows = await tx
    .selectFrom('outbox')
    .select(feedColumns)
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(feedEventOf);
}

/** The events among `seqs` that are in the outbox, oldest first. */
export async function outboxAt(tx: Tx, seqs: readonly number[]): Promise<FeedEvent[]> {
  if (seqs.length === 0) return [];
  const rows = await tx
    .selectFrom('outbox')
    .select(feedColumns)
    .where('seq', 'in', seqs)
    .orderBy('seq')
    .execute();
  return rows.map(feedEventOf);
}

/** Whether the event `seq` is still in the outbox (retention deletes old ones). */
export async function outboxHas(tx: Tx, seq: number): Promise<boolean> {
  const row = await tx.selectFrom('outbox').select('seq').where('seq', '=', seq).executeTakeFirst();
  return row !== undefined;
}

/** The highest `seq` in the outbox, 0 when it is empty. */
export async function latestOutboxSeq(tx: Tx): Promise<number> {
  const row = await tx
    .selectFrom('outbox')
    .select((eb) => eb.fn.max('seq').as('m'))
    .executeTakeFirst();
  return row?.m == null ? 0 : Number(row.m);
}

/** At most this many missing seqs are looked up per poll (the oldest first). */
const MAX_GAPS_PER_POLL = 1_000;

export type OutboxFeedOptions = {
  readonly intervalMs?: number;
  readonly gapWaitMs?: number;
  readonly batch?: number;
  readonly onError?: (error: unknown) => void;
};

type Subscriber = {
  /** Only events above this seq reach the listener; null while the feed is still syncing. */
  since: number | null;
  readonly queued: FeedEvent[];
};

export class OutboxFeed {
  private readonly listeners = new Map<FeedListener, Subscriber>();
  private readonly intervalMs: number;
  private readonly gapWaitMs: number;
  private readonly batch: number;
  private readonly onError: (error: unknown) => void;
  /** Every event with seq ≤ cursor has been delivered or given up on. */
  private cursor = -1;
  /** Delivered events above the cursor. */
  private readonly seen = new Set<number>();
  /** Missing seqs below a delivered one, with the time they were first noticed. */
  private readonly gaps = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly db: () => Tx,
    options: OutboxFeedOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 300;
    this.gapWaitMs = options.gapWaitMs ?? 5_000;
    this.batch = options.batch ?? 500;
    this.onError = options.onError ?? (() => undefined);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** The highest seq the feed has moved past: a new subscriber sees everything after it. */
  get position(): number {
    return this.cursor;
  }

  /**
   * Adds a listener that receives every event committed after it subscribed; resolves once the
   * feed knows where that is. Returns the function that unsubscribes.
   */
  async subscribe(listener: FeedListener): Promise<() => void> {
    if (this.stopped) throw new Error('The outbox feed is stopped.');
    const unsubscribe = () => {
      this.listeners.delete(listener);
    };
    // After an idle spell the cursor is stale: the feed first moves it to the end of the outbox,
    // so that a new listener is not sent what was committed while nobody listened.
    const idle = this.listeners.size === 0;
    const subscriber: Subscriber = { since: idle || this.syncing ? null : this.cursor, queued: [] };
    this.listeners.set(listener, subscriber);
    if (subscriber.since !== null) return unsubscribe;
    this.syncing ??= this.sync();
    try {
      await this.syncing;
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  private async sync(): Promise<void> {
    try {
      const latest = await latestOutboxSeq(this.db());
      // From here to the end of this block nothing awaits, so no poll can interleave.
      if (latest > this.cursor) {
        this.cursor = latest;
        for (const s of this.seen) if (s <= latest) this.seen.delete(s);
        for (const s of this.gaps.keys()) if (s <= latest) this.gaps.delete(s);
      }
      for (const [listener, sub] of this.listeners) {
        if (sub.since !== null) continue;
        sub.since = latest;
        const pending = sub.queued.splice(0).filter((e) => e.seq > latest);
        if (pending.length > 0) this.call(listener, pending);
      }
      this.schedule();
    } finally {
      this.syncing = null;
    }
  }

  private call(listener: FeedListener, events: readonly FeedEvent[]): void {
    try {
      listener(events);
    } catch (error) {
      this.onError(error);
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer !== null) return;
    this.timer = setTimeout(() => {
      void this.tick();
    }, this.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (this.listeners.size > 0) await this.pollOnce();
    } catch (error) {
      this.onError(error);
    } finally {
      this.timer = null;
      this.schedule();
    }
  }

  /** One poll: delivers what is new and moves the cursor. Exposed for tests. */
  async pollOnce(now = Date.now()): Promise<readonly FeedEvent[]> {
    // New events are read after the highest one delivered, not after the cursor: while a gap holds
    // the cursor back (up to `gapWaitMs`), a read from the cursor would return the same `batch`
    // delivered rows again and again, and a busy outbox would outrun the feed. The gaps themselves
    // (seqs that may still commit) are looked up by seq.
    let highest = this.cursor;
    for (const s of this.seen) if (s > highest) highest = s;
    const missing = [...this.gaps.keys()].filter((s) => !this.seen.has(s)).slice(0, MAX_GAPS_PER_POLL);
    const late = await outboxAt(this.db(), missing);
    const rows = [...late, ...(await outboxAfter(this.db(), highest, this.batch))];
    const fresh = rows.filter((r) => !this.seen.has(r.seq));
    for (const r of fresh) this.seen.add(r.seq);
    if (fresh.length > 0) {
      for (const [listener, sub] of [...this.listeners]) {
        if (sub.since === null) {
          sub.queued.push(...fresh);
          continue;
        }
        const since = sub.since;
        const mine = fresh.filter((e) => e.seq > since);
        if (mine.length > 0) this.call(listener, mine);
      }
    }
    this.advance(now);
    return fresh;
  }

  private advance(now: number): void {
    if (this.seen.size === 0) return;
    let highest = this.cursor;
    for (const s of this.seen) if (s > highest) highest = s;
    // Every missing seq below the highest delivered one starts its wait now (all at once, so a run
    // of rolled-back inserts costs one wait, not one per seq).
    for (let s = this.cursor + 1; s < highest && this.gaps.size < 100_000; s++) {
      if (!this.seen.has(s) && !this.gaps.has(s)) this.gaps.set(s, now);
    }
    for (;;) {
      const next = this.cursor + 1;
      if (this.seen.delete(next)) {
        this.gaps.delete(next);
        this.cursor = next;
        continue;
      }
      const first = this.gaps.get(next);
      if (first === undefined || now - first < this.gapWaitMs) break;
      this.gaps.delete(next);
      this.cursor = next;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
