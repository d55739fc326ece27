/**
 * Keyboard shortcuts: `/` focuses the search of the page (or the global one), `g` then a letter
 * goes to a screen, `?` lists them all. Ignored while typing in a field.
 */
import { useEffect } from 'react';
import { navigate } from './router.js';

export type GoTo = { key: string; path: string; label: string };

export const goTos: readonly GoTo[] = [
  { key: 'd', path: '/', label: 'Dashboard' },
  { key: 'c', path: '/catalog', label: 'Catalog' },
  { key: 's', path: '/stock', label: 'Stock' },
  { key: 'm', path: '/movements', label: 'Movements' },
  { key: 'n', path: '/counts', label: 'Cycle counts' },
  { key: 'o', path: '/orders', label: 'Orders' },
  { key: 'r', path: '/reservations', label: 'Reservations' },
  { key: 'u', path: '/users', label: 'Users' },
  { key: 'k', path: '/api-keys', label: 'API keys' },
];

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

/** Focuses the page's own search (`[data-page-search]`) or else the global one. */
export function focusSearch(): void {
  const el =
    document.querySelector<HTMLInputElement>('main [data-page-search]') ??
    document.querySelector<HTMLInputElement>('[data-global-search]');
  el?.focus();
  el?.select();
}

export function useShortcuts(opts: { onHelp: () => void; allowedPaths: (path: string) => boolean }): void {
  const { onHelp, allowedPaths } = opts;
  useEffect(() => {
    let pendingG = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (typing(e.target) || document.querySelector('dialog[open]')) return;
      if (e.key === '/') {
        e.preventDefault();
        focusSearch();
        return;
      }
      if (e.key === '?') {
        e.preventDefault();
        onHelp();
        return;
      }
      if (e.key === 'g') {
        pendingG = Date.now();
        return;
      }
      if (pendingG && Date.now() - pendingG < 1500) {
        pendingG = 0;
        const target = goTos.find((g) => g.key === e.key.toLowerCase());
        if (target && allowedPaths(target.path)) {
          e.preventDefault();
          navigate(target.path);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onHelp, allowedPaths]);
}
