/**
 * Live updates: one EventSource on `/api/v1/events/stream` (the server feeds it from the outbox).
 * Each event refreshes the queries it affects, coalesced over 200 ms so a burst of a hundred
 * events costs one refresh. The browser reconnects by itself and resumes with Last-Event-ID.
 *
 * One stream per browser, not per tab: a browser keeps at most six HTTP/1.1 connections to one
 * host, and a stream holds one for good, so six open tabs of the admin took them all and every
 * further request (even loading a seventh tab) waited forever. The tabs elect one of them with a
 * Web Lock; it holds the stream and passes each event (and its status) to the others over a
 * BroadcastChannel. When it closes, the next tab takes the lock and resumes from the last event
 * id it was passed. Where Web Locks are missing (plain http on a host other than localhost is not
 * a secure context), each tab opens its own stream, as before.
 */
import { useSyncExternalStore } from 'react';
import { invalidate } from './query.js';
import type { LiveEvent } from './types.js';

export type LiveStatus = 'connecting' | 'live' | 'offline';

const STREAM = '/api/v1/events/stream';
const SHARED = 'kibble-live';

/**
 * What the tab holding the stream tells the others (`resync`: reload everything shown); `hello`
 * asks it for its status.
 */
type Shared =
  | { kind: 'event'; id: string; data: string }
  | { kind: 'status'; status: LiveStatus }
  | { kind: 'resync' }
  | { kind: 'hello' };

let started = false;
/** Which start the lock request belongs to, so a grant arriving after a stop (and a new start) is let go. */
let generation = 0;
let source: EventSource | null = null;
let channel: BroadcastChannel | null = null;
/** Whether this tab holds the stream for the others (or for itself only, without Web Locks). */
let leading = false;
let releaseLock: (() => void) | null = null;
let stopWaiting: (() => void) | null = null;
/** The id of the last event seen, so a tab that takes over the stream resumes after it. */
let lastEventId: string | null = null;
/** Whether another tab held the stream while this one waited (so this one takes it over). */
let sawLeader = false;
let status: LiveStatus = 'offline';
const statusListeners = new Set<() => void>();
const eventListeners = new Set<(e: LiveEvent) => void>();
let pending = new Set<string>();
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function setStatus(next: LiveStatus): void {
  if (next === status) return;
  status = next;
  for (const l of statusListeners) l();
}

/** The query tags an event makes stale. */
export function tagsOf(e: LiveEvent): string[] {
  const p = e.payload;
  const sku = typeof p['sku'] === 'string' ? p['sku'] : null;
  switch (e.aggregateType) {
    case 'sku':
      return ['stock', 'movements', 'dashboard', ...(sku ? [`sku:${sku.toUpperCase()}`] : [])];
    case 'order':
      return ['orders', `order:${e.aggregateId}`, 'dashboard'];
    case 'reservation':
      return ['reservations', 'stock'];
    case 'count':
      return ['counts', `count:${e.aggregateId}`, 'stock', 'movements'];
    case 'transfer':
      return ['stock', 'movements', 'transfers'];
    default:
      return ['dashboard'];
  }
}

function schedule(tags: readonly string[]): void {
  for (const t of tags) pending.add(t);
  if (flushTimer !== null) return;
  flushTimer = setTimeout(() => {
    flushTimer = null;
    const batch = pending;
    pending = new Set();
    invalidate([...batch]);
  }, 200);
}

function share(message: Shared): void {
  channel?.postMessage(message);
}

function streamStatus(next: LiveStatus): void {
  setStatus(next);
  if (leading) share({ kind: 'status', status: next });
}

function receive(data: string): void {
  let event: LiveEvent;
  try {
    event = JSON.parse(data) as LiveEvent;
  } catch {
    return;
  }
  if (event.type === 'stream.reset') {
    invalidate('*');
    return;
  }
  schedule(tagsOf(event));
  for (const l of eventListeners) l(event);
}

/**
 * Opens the stream. What changed while no stream was open (this one reconnecting, or another tab's
 * closed before this one took over) is not all replayed: without an event id there is nothing to
 * resume from. So every tab reloads what it shows then, instead of missing a change.
 */
function openStream(takingOver: boolean): void {
  const url = lastEventId ? `${STREAM}?lastEventId=${encodeURIComponent(lastEventId)}` : STREAM;
  let opened = false;
  source = new EventSource(url, { withCredentials: true });
  source.onopen = () => {
    streamStatus('live');
    if (takingOver || opened) {
      share({ kind: 'resync' });
      invalidate('*');
    }
    opened = true;
  };
  source.onerror = () => streamStatus(source?.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
  source.onmessage = (message: MessageEvent<string>) => {
    if (message.lastEventId) lastEventId = message.lastEventId;
    share({ kind: 'event', id: message.lastEventId, data: message.data });
    receive(message.data);
  };
}

export function startLive(): void {
  if (started) return;
  started = true;
  const mine = ++generation;
  setStatus('connecting');
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks || typeof BroadcastChannel === 'undefined') {
    leading = true;
    openStream(false);
    return;
  }
  channel = new BroadcastChannel(SHARED);
  channel.onmessage = (m: MessageEvent<Shared>) => {
    const message = m.data;
    if (message.kind === 'event') {
      if (message.id) lastEventId = message.id;
      receive(message.data);
    } else if (message.kind === 'status') {
      sawLeader = true;
      if (!leading) setStatus(message.status);
    } else if (message.kind === 'resync') {
      invalidate('*');
    } else if (leading) share({ kind: 'status', status });
  };
  const abort = new AbortController();
  stopWaiting = () => abort.abort();
  locks
    .request(SHARED, { signal: abort.signal }, () => {
      if (!started || mine !== generation) return undefined;
      stopWaiting = null;
      leading = true;
      openStream(sawLeader);
      // Held until this tab stops (signs out) or closes.
      return new Promise<void>((resolve) => {
        releaseLock = resolve;
      });
    })
    .catch(() => undefined); // aborted: this tab stopped before its turn came
  share({ kind: 'hello' });
}

export function stopLive(): void {
  started = false;
  sawLeader = false;
  source?.close();
  source = null;
  leading = false;
  releaseLock?.();
  releaseLock = null;
  stopWaiting?.();
  stopWaiting = null;
  channel?.close();
  channel = null;
  setStatus('offline');
}

/** Calls `listener` with every live event until the returned function is called. */
export function onLiveEvent(listener: (e: LiveEvent) => void): () => void {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(
    (notify) => {
      statusListeners.add(notify);
      return () => statusListeners.delete(notify);
    },
    () => status,
  );
}
