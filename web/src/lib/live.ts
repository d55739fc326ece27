/**
 * Live updates: one EventSource on `/api/v1/events/stream` (the server feeds it from the outbox).
 * Each event refreshes the queries it affects, coalesced over 200 ms so a burst of a hundred
 * events costs one refresh. The browser reconnects by itself and resumes with Last-Event-ID.
 */
import { useSyncExternalStore } from 'react';
import { invalidate } from './query.js';
import type { LiveEvent } from './types.js';

export type LiveStatus = 'connecting' | 'live' | 'offline';

let source: EventSource | null = null;
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

export function startLive(): void {
  if (source) return;
  setStatus('connecting');
  source = new EventSource('/api/v1/events/stream', { withCredentials: true });
  source.onopen = () => setStatus('live');
  source.onerror = () => setStatus(source?.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
  source.onmessage = (message: MessageEvent<string>) => {
    let event: LiveEvent;
    try {
      event = JSON.parse(message.data) as LiveEvent;
    } catch {
      return;
    }
    if (event.type === 'stream.reset') {
      invalidate('*');
      return;
    }
    schedule(tagsOf(event));
    for (const l of eventListeners) l(event);
  };
}

export function stopLive(): void {
  source?.close();
  source = null;
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
