/**
 * Time-series charts with uPlot (canvas, ~45 KB): bars or lines over UTC days, resized with their
 * container, with a legend that doubles as the accessible description (the data is also offered
 * as a table for screen readers).
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { num, shortDay } from '../lib/format.js';

export type Series = { label: string; values: number[]; color: string; kind?: 'bars' | 'line' };

type Props = {
  label: string;
  days: string[]; // YYYY-MM-DD
  series: Series[];
  height?: number;
  stacked?: boolean;
};

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const bars = uPlot.paths.bars!({ size: [0.7, 24], gap: 1 });

export function TimeChart({ label, days, series, height = 220 }: Props) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const data: uPlot.AlignedData = [xs, ...series.map((s) => s.values)];
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      padding: [8, 8, 0, 0],
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      legend: { show: true, live: true },
      cursor: { points: { show: true }, drag: { x: false, y: false } },
      scales: {
        // Half a day of room on each side, so the first and last bars are drawn whole.
        x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [
        {
          stroke: '#57606a',
          grid: { show: false },
          ticks: { stroke: '#d0d7de' },
          values: (_u, splits) => splits.map((s) => shortDay(new Date(s * 1000).toISOString().slice(0, 10))),
        },
        {
          stroke: '#57606a',
          grid: { stroke: '#eaeef2' },
          ticks: { show: false },
          size: 56,
          values: (_u, splits) => splits.map((v) => compact.format(v)),
        },
      ],
      series: [
        {
          label: 'Day',
          value: (_u, v) => (v === null ? '—' : shortDay(new Date(v * 1000).toISOString().slice(0, 10))),
        },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.kind === 'bars' ? 0 : 2,
          fill: s.kind === 'bars' ? s.color : undefined,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : num(v)),
          ...(s.kind === 'bars' ? { paths: bars } : {}),
        })),
      ],
    };
    const plot = new uPlot(opts, data, el);
    const observer = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(200, el.clientWidth), height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [days, series, height]);

  return (
    <figure className="chart">
      <div ref={host} className="chart-canvas" role="img" aria-label={label} />
      <div className="sr-only">
        <table>
          <caption>{label}</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {series.map((s) => (
                <th key={s.label} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((d, i) => (
              <tr key={d}>
                <th scope="row">{d}</th>
                {series.map((s) => (
                  <td key={s.label}>{s.values[i] ?? 0}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
