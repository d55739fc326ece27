/**
 * A small query cache: each key is fetched once and shared by every component that reads it,
 * shown stale while it refreshes, and refreshed when one of its tags is invalidated (by an action
 * or by a live event). Lists with cursors load page by page and refresh what was already shown.
 */
import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import type { Page } from './types.js';

type Entry<T = unknown> = {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  tags: readonly string[];
  fetcher: (signal: AbortSignal) => Promise<T>;
  controller: AbortController | null;
  subscribers: Set<() => void>;
  snapshot: QueryState<T>;
};

export type QueryState<T> = {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
};

const entries = new Map<string, Entry>();

function publish(entry: Entry): void {
  entry.snapshot = { data: entry.data, error: entry.error, loading: entry.loading };
  for (const s of entry.subscribers) s();
}

function load(entry: Entry): void {
  entry.controller?.abort();
  const controller = new AbortController();
  entry.controller = controller;
  entry.loading = true;
  publish(entry);
  entry.fetcher(controller.signal).then(
    (data) => {
      if (controller.signal.aborted) return;
      entry.data = data;
      entry.error = undefined;
      entry.loading = false;
      entry.controller = null;
      publish(entry);
    },
    (error: unknown) => {
      if (controller.signal.aborted) return;
      entry.error = error instanceof Error ? error : new Error(String(error));
      entry.loading = false;
      entry.controller = null;
      publish(entry);
    },
  );
}

const idle: QueryState<never> = { data: undefined, error: undefined, loading: false };
const starting: QueryState<never> = { data: undefined, error: undefined, loading: true };

/**
 * Reads `key` (null: nothing to read yet). `tags` say which invalidations refresh it, e.g.
 * `['stock', 'sku:DOG-1']`.
 */
export function useQuery<T>(
  key: string | null,
  fetcher: (signal: AbortSignal) => Promise<T>,
  tags: readonly string[] = [],
): QueryState<T> & { refetch: () => void } {
  // The key names the request completely, so the fetcher captured with it stays right for it.
  const subscribe = useCallback(
    (notify: () => void) => {
      if (key === null) return () => undefined;
      let entry = entries.get(key);
      if (!entry) {
        entry = {
          data: undefined,
          error: undefined,
          loading: false,
          tags,
          fetcher,
          controller: null,
          subscribers: new Set(),
          snapshot: starting,
        };
        entries.set(key, entry);
      }
      entry.tags = tags;
      entry.subscribers.add(notify);
      if (entry.data === undefined && !entry.loading) load(entry);
      const e = entry;
      return () => {
        e.subscribers.delete(notify);
      };
    },
    [key],
  );
  const state = useSyncExternalStore(subscribe, () =>
    key === null ? idle : ((entries.get(key)?.snapshot as QueryState<T> | undefined) ?? starting),
  );
  const refetch = useCallback(() => {
    const entry = key === null ? undefined : entries.get(key);
    if (entry) load(entry);
  }, [key]);
  return { ...state, refetch };
}

/**
 * Refreshes every query carrying one of `tags` (or all, with `'*'`). Queries nobody shows are
 * dropped, so they load fresh when shown again.
 */
export function invalidate(tags: readonly string[] | '*'): void {
  for (const [key, entry] of entries) {
    const hit = tags === '*' || entry.tags.some((t) => tags.includes(t));
    if (!hit) continue;
    if (entry.subscribers.size === 0) entries.delete(key);
    else load(entry);
  }
}

export function clearQueries(): void {
  for (const entry of entries.values()) entry.controller?.abort();
  entries.clear();
}

/**
 * A cursor-paginated list. `fetchPage(cursor, limit)` returns a page; `more()` appends the next.
 * A refresh (invalidation) reloads as many rows as are shown, in one request when it can.
 */
export function useList<T>(
  key: string | null,
  fetchPage: (cursor: string | null, limit: number, signal: AbortSignal) => Promise<Page<T>>,
  tags: readonly string[] = [],
  pageSize = 100,
  maxLimit = 500,
) {
  const shown = useRef(pageSize);
  const q = useQuery<Page<T>>(
    key,
    (signal) => fetchPage(null, Math.min(maxLimit, Math.max(pageSize, shown.current)), signal),
    tags,
  );
  const loadingMore = useRef(false);
  const more = useCallback(async () => {
    if (key === null || loadingMore.current) return;
    const entry = entries.get(key) as Entry<Page<T>> | undefined;
    const current = entry?.data;
    if (!entry || !current || current.nextCursor === null || entry.loading) return;
    loadingMore.current = true;
    try {
      const next = await fetchPage(current.nextCursor, pageSize, new AbortController().signal);
      if (entry.data !== current) return; // refreshed meanwhile
      entry.data = { items: [...current.items, ...next.items], nextCursor: next.nextCursor };
      shown.current = entry.data.items.length;
      publish(entry);
    } catch (error) {
      entry.error = error instanceof Error ? error : new Error(String(error));
      publish(entry);
    } finally {
      loadingMore.current = false;
    }
  }, [key, fetchPage, pageSize]);
  useEffect(() => {
    shown.current = pageSize;
  }, [key, pageSize]);
  // While a new key (search, filter) loads, keep showing the previous rows: no flash of empty.
  const last = useRef<Page<T> | undefined>(undefined);
  if (q.data) last.current = q.data;
  const data = q.data ?? (q.loading ? last.current : undefined);
  return {
    items: data?.items,
    stale: q.data === undefined && data !== undefined,
    hasMore: q.data !== undefined && q.data.nextCursor !== null,
    loading: q.loading,
    error: q.error,
    more,
    refetch: q.refetch,
  };
}
