/**
 * A dense, virtualised table: only the rows in view are in the DOM, so 10,000 rows scroll as
 * smoothly as 10. Keyboard: focus the table, then ↑/↓ (or j/k) move, Home/End jump, Enter opens.
 * Nearing the end of what is loaded asks for more (`onEndReached`).
 */
import {
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMediaQuery } from '../lib/hooks.js';

export type Column<T> = {
  key: string;
  header: ReactNode;
  /** CSS grid track, e.g. `120px` or `minmax(180px, 2fr)`. */
  width: string;
  align?: 'left' | 'right' | 'center';
  render: (row: T) => ReactNode;
  className?: string;
  /** Dropped on narrow screens (phones, tablets in portrait). */
  optional?: boolean;
  /**
   * The text the column shows, when it must never be cut (an identifier, a date): the column is
   * made as wide as the longest of the loaded rows, taking the room from the flexible columns.
   */
  fit?: (row: T) => string;
  /** The class `fit`'s text is drawn with in the cell (`mono` for codes), so it is measured alike. */
  fitClass?: string;
};

type Props<T> = {
  label: string;
  rows: readonly T[];
  columns: ReadonlyArray<Column<T>>;
  rowKey: (row: T) => string;
  onOpen?: (row: T) => void;
  onEndReached?: () => void;
  hasMore?: boolean;
  rowHeight?: number;
  /** Extra class for a row (highlight). */
  rowClass?: (row: T) => string | undefined;
  /** Height cap: the table scrolls inside it. */
  maxHeight?: string;
  footer?: ReactNode;
};

/** The smallest width of a grid track: `120px` → 120, `minmax(150px, 1fr)` → 150, `1fr` → 80. */
function minimumOf(track: string): number {
  const m = /(\d+(?:\.\d+)?)px/.exec(track);
  return m ? Number(m[1]) : 80;
}

/** `track` made at least `px` wide: `80px` → `120px`, `minmax(150px, 1fr)` → `minmax(190px, 1fr)`. */
function atLeast(track: string, px: number): string {
  if (minimumOf(track) >= px) return track;
  const m = /^minmax\(\s*[\d.]+px\s*,\s*(.+)\)$/.exec(track.trim());
  if (m) return `minmax(${px}px, ${m[1]})`;
  if (/^[\d.]+px$/.test(track.trim())) return `${px}px`;
  return `minmax(${px}px, ${track})`;
}

/** The measure key of a column's header text (`head:onHand`). */
const HEAD = 'head:';

/** Horizontal padding of a cell (`.cell`), plus a pixel for rounding. */
const CELL_PADDING = 21;

/** The few longest texts of a column over `rows`: the widest is among them, whatever the font. */
function longestTexts<T>(rows: readonly T[], text: (row: T) => string, keep = 5): string[] {
  const top: string[] = [];
  for (const row of rows) {
    const t = text(row);
    if (top.length === keep && t.length <= top[keep - 1]!.length) continue;
    if (top.includes(t)) continue;
    top.push(t);
    top.sort((a, b) => b.length - a.length);
    if (top.length > keep) top.pop();
  }
  return top;
}

export function DataTable<T>({
  label,
  rows,
  columns: allColumns,
  rowKey,
  onOpen,
  onEndReached,
  hasMore,
  rowHeight = 40,
  rowClass,
  maxHeight = 'calc(100vh - 230px)',
  footer,
}: Props<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(-1);
  const id = useId();
  const narrow = useMediaQuery('(max-width: 860px)');
  const columns = narrow ? allColumns.filter((c) => !c.optional) : allColumns;
  // Columns that must show their text whole: measure their longest texts (hidden, with the cell's
  // font) before the first paint, and widen their tracks to fit.
  const measureRef = useRef<HTMLDivElement>(null);
  const fitKeys = columns
    .map((c) => `${c.fit ? c.key : ''}:${typeof c.header === 'string' ? c.header : ''}`)
    .join('|');
  const candidates = useMemo(
    () =>
      columns.flatMap((c) => [
        ...(c.fit ? [{ key: c.key, className: c.fitClass, texts: longestTexts(rows, c.fit) }] : []),
        // A header in words is never cut either ("On ha…" for "On hand"): its column is as wide as it.
        ...(typeof c.header === 'string'
          ? [{ key: `${HEAD}${c.key}`, className: 'datatable-measure-head', texts: [c.header] }]
          : []),
      ]),
    // The columns' texts depend on the rows; a screen may rebuild its column list on every render.
    [rows, fitKeys],
  );
  const [fitted, setFitted] = useState<Record<string, number>>({});
  useLayoutEffect(() => {
    const box = measureRef.current;
    if (!box) return;
    const next: Record<string, number> = {};
    for (const group of box.querySelectorAll<HTMLElement>('[data-fit]')) {
      let widest = 0;
      for (const span of group.children) widest = Math.max(widest, span.getBoundingClientRect().width);
      if (widest > 0) next[group.dataset['fit']!] = Math.ceil(widest) + CELL_PADDING;
    }
    setFitted((old) => (JSON.stringify(old) === JSON.stringify(next) ? old : next));
  }, [candidates]);
  const tracks = columns.map((c) => {
    const px = Math.max(fitted[c.key] ?? 0, fitted[`${HEAD}${c.key}`] ?? 0);
    return px === 0 ? c.width : atLeast(c.width, px);
  });
  const template = tracks.join(' ');
  // Every row is its own grid: give them all the same width (the sum of the tracks' minimums),
  // never their content's, so columns line up.
  const minWidth = tracks.reduce((sum, t) => sum + minimumOf(t), 0);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length > 0 ? items[items.length - 1]!.index : -1;

  useEffect(() => {
    if (hasMore && onEndReached && lastIndex >= rows.length - 25) onEndReached();
  }, [lastIndex, rows.length, hasMore, onEndReached]);

  useEffect(() => {
    if (active >= rows.length) setActive(rows.length - 1);
  }, [rows.length, active]);

  const move = (to: number) => {
    const clamped = Math.max(0, Math.min(rows.length - 1, to));
    setActive(clamped);
    virtualizer.scrollToIndex(clamped, { align: 'auto' });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget) return;
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / rowHeight) - 1);
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        e.preventDefault();
        move(active + 1);
        break;
      case 'ArrowUp':
      case 'k':
        e.preventDefault();
        move(active - 1);
        break;
      case 'PageDown':
        e.preventDefault();
        move(active + page);
        break;
      case 'PageUp':
        e.preventDefault();
        move(active - page);
        break;
      case 'Home':
        e.preventDefault();
        move(0);
        break;
      case 'End':
        e.preventDefault();
        move(rows.length - 1);
        break;
      case 'Enter': {
        const row = rows[active];
        if (row && onOpen) {
          e.preventDefault();
          onOpen(row);
        }
        break;
      }
    }
  };

  const activeRow = active >= 0 ? rows[active] : undefined;
  return (
    <div
      className="datatable"
      style={{ ['--cols' as string]: template, ['--row-min' as string]: `${minWidth}px` }}
    >
      <div
        ref={scrollRef}
        className="datatable-scroll"
        style={{ maxHeight }}
        role="grid"
        aria-label={label}
        aria-rowcount={rows.length + 1}
        aria-activedescendant={activeRow ? `${id}-${rowKey(activeRow)}` : undefined}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onFocus={() => {
          if (active < 0 && rows.length > 0) setActive(0);
        }}
      >
        <div className="datatable-head" role="row" aria-rowindex={1}>
          {columns.map((c) => (
            <div key={c.key} role="columnheader" className={`cell align-${c.align ?? 'left'}`}>
              {c.header}
            </div>
          ))}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const row = rows[v.index]!;
            const key = rowKey(row);
            return (
              <div
                key={key}
                id={`${id}-${key}`}
                role="row"
                aria-rowindex={v.index + 2}
                aria-selected={v.index === active}
                className={`datatable-row${v.index === active ? ' active' : ''}${onOpen ? ' clickable' : ''}${rowClass?.(row) ? ` ${rowClass(row)}` : ''}`}
                style={{ transform: `translateY(${v.start}px)`, height: rowHeight }}
                onClick={(e) => {
                  setActive(v.index);
                  if (onOpen && !(e.target as HTMLElement).closest('a,button,input,select')) onOpen(row);
                }}
              >
                {columns.map((c) => (
                  <div
                    key={c.key}
                    role="gridcell"
                    className={`cell align-${c.align ?? 'left'}${c.className ? ` ${c.className}` : ''}`}
                  >
                    {c.render(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
      {/* Out of the grid, and its text only drawn (CSS content), so nothing finds it as the table's text. */}
      <div ref={measureRef} className="datatable-measure" aria-hidden="true">
        {candidates.map((c) => (
          <div key={c.key} data-fit={c.key}>
            {c.texts.map((t) => (
              <span key={t} className={c.className} data-fit-text={t} />
            ))}
          </div>
        ))}
      </div>
      {footer ? <div className="datatable-footer">{footer}</div> : null}
    </div>
  );
}
