import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from 'react';

export interface VirtualListProps {
  count: number;
  /** Every row has this height in px; it is what makes windowing exact and cheap. */
  rowHeight: number;
  renderRow(index: number): ReactNode;
  /** Stable key of a row (e.g. an event id), so scrolling moves rows instead of re-rendering them. */
  rowKey?(index: number): string | number;
  /** Rows rendered above and below the visible ones. */
  overscan?: number;
  /** Highlighted row; arrow keys move it when the list has focus. */
  selected?: number | null;
  onSelect?(index: number): void;
  className?: string;
  label: string;
  /**
   * Newest-first lists grow at the top: while the user is scrolled away from the top, new rows
   * shift the scroll position by their height so the rows being read stay put. Changing
   * `anchorKey` (e.g. new filters) means the rows are a different list: no shift then.
   */
  growsAtTop?: boolean;
  anchorKey?: string;
}

/**
 * A windowed list: only the rows in view (plus overscan) are in the DOM, positioned with
 * transforms inside a spacer as tall as all rows, so 100,000 rows scroll as smoothly as 100.
 */
export function VirtualList({
  count,
  rowHeight,
  renderRow,
  rowKey,
  overscan = 8,
  selected = null,
  onSelect,
  className,
  label,
  growsAtTop = false,
  anchorKey = '',
}: VirtualListProps) {
  const viewport = useRef<HTMLDivElement>(null);
  const previous = useRef({ count, anchorKey });
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const frame = useRef(0);

  useEffect(() => {
    const el = viewport.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  // Before paint, so the shift is never seen.
  useLayoutEffect(() => {
    const el = viewport.current;
    const prev = previous.current;
    previous.current = { count, anchorKey };
    if (!growsAtTop || !el || prev.anchorKey !== anchorKey || count <= prev.count || el.scrollTop === 0)
      return;
    el.scrollTop += (count - prev.count) * rowHeight;
    setScrollTop(el.scrollTop);
  }, [count, anchorKey, growsAtTop, rowHeight]);

  const onScroll = useCallback(() => {
    // One state update per animation frame, however many scroll events arrive.
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      if (viewport.current) setScrollTop(viewport.current.scrollTop);
    });
  }, []);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  /** Scrolls just enough to show `row`; only for keyboard moves, so new rows never yank the view. */
  const reveal = (row: number) => {
    const el = viewport.current;
    if (!el) return;
    const top = row * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + el.clientHeight)
      el.scrollTop = top + rowHeight - el.clientHeight;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!onSelect || count === 0) return;
    const page = Math.max(1, Math.floor(height / rowHeight) - 1);
    const moves: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      PageDown: page,
      PageUp: -page,
      Home: -count,
      End: count,
    };
    const delta = moves[e.key];
    if (delta === undefined) return;
    e.preventDefault();
    const row = Math.min(count - 1, Math.max(0, (selected ?? -1) + delta));
    onSelect(row);
    reveal(row);
  };

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div
        key={rowKey ? rowKey(i) : i}
        role="row"
        aria-rowindex={i + 1}
        aria-selected={selected === i}
        className={`vlist-row${selected === i ? ' is-selected' : ''}`}
        style={{ transform: `translateY(${i * rowHeight}px)`, height: rowHeight }}
        onClick={() => onSelect?.(i)}
      >
        {renderRow(i)}
      </div>,
    );
  }
  return (
    <div
      ref={viewport}
      className={`vlist ${className ?? ''}`}
      onScroll={onScroll}
      tabIndex={0}
      role="grid"
      aria-label={label}
      aria-rowcount={count}
      onKeyDown={onKeyDown}
    >
      <div className="vlist-spacer" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
