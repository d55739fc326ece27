/** The dashboard: stock value, low / out of stock, open orders, orders per day, stock movements. */
import { useMemo, useState } from 'react';
import { get } from '../lib/api.js';
import { count, humanize, money, moneyCompact, num, when } from '../lib/format.js';
import { useQuery } from '../lib/query.js';
import { Link } from '../lib/router.js';
import type { Dashboard as DashboardData } from '../lib/types.js';
import { TimeChart, type Series } from '../components/Chart.js';
import { Card, Chip, ErrorState, Loading, PageHeader, Segmented } from '../components/ui.js';

const movementColors: Record<string, string> = {
  receipt: '#2f9e44',
  shipment: '#3b5bdb',
  adjustment: '#f08c00',
  count_correction: '#e8590c',
  transfer_out: '#1098ad',
  transfer_in: '#66a80f',
  quarantine: '#e03131',
  quarantine_release: '#94d82d',
  scrap: '#862e9c',
  allocation: '#7048e8',
  deallocation: '#adb5bd',
  return: '#0ca678',
};

export function Dashboard() {
  const q = useQuery('dashboard', (signal) => get<DashboardData>('/reports/dashboard', { signal }), [
    'dashboard',
  ]);
  const [span, setSpan] = useState<'30' | '90'>('30');
  const [measure, setMeasure] = useState<'units' | 'count'>('units');
  const d = q.data;

  const orders = useMemo(() => {
    if (!d) return null;
    const days = d.ordersPerDay.map((x) => x.date);
    const series: Series[] = [
      {
        label: 'Orders',
        values: d.ordersPerDay.map((x) => x.orders - x.cancelled),
        color: '#3b5bdb',
        kind: 'bars',
      },
      { label: 'Cancelled', values: d.ordersPerDay.map((x) => x.cancelled), color: '#e03131', kind: 'line' },
    ];
    return { days, series };
  }, [d]);

  const movements = useMemo(() => {
    if (!d) return null;
    const days = d.ordersPerDay.map((x) => x.date).slice(-Number(span));
    const types = [...new Set(d.movementsPerDay.map((m) => m.type))].sort();
    const index = new Map(days.map((day, i) => [day, i]));
    const series: Series[] = types.map((type) => {
      const values = days.map(() => 0);
      for (const m of d.movementsPerDay) {
        const i = index.get(m.date);
        if (m.type === type && i !== undefined) values[i] = measure === 'units' ? m.units : m.count;
      }
      return { label: humanize(type), values, color: movementColors[type] ?? '#868e96', kind: 'line' };
    });
    return { days, series };
  }, [d, span, measure]);

  if (q.error && !d) return <ErrorState error={q.error} onRetry={q.refetch} />;
  if (!d || !orders || !movements) return <Loading label="Loading the dashboard…" rows={6} />;

  const totalOrders90 = d.ordersPerDay.reduce((s, x) => s + x.orders, 0);
  const sales = new Map<string, number>();
  for (const s of d.salesPerDay)
    sales.set(s.currency, (sales.get(s.currency) ?? 0) + Number(s.totalMinorText));

  return (
    <div className="dashboard">
      <PageHeader title="Dashboard" subtitle={`Figures as of ${when(d.asOf)}`} />
      <div className="kpis">
        <Card className="kpi">
          <h2>Stock value</h2>
          {d.stockValue.length === 0 ? (
            <div className="kpi-value">—</div>
          ) : (
            d.stockValue.map((v) => (
              // Beyond 2^53 minor units the exact figure is text only; a display needs no more.
              <div key={v.currency} className="kpi-value" title={money(Number(v.valueMinorText), v.currency)}>
                {moneyCompact(Number(v.valueMinorText), v.currency)}
              </div>
            ))
          )}
          <div className="kpi-sub">
            {count(
              d.stockValue.reduce((s, v) => s + v.units, 0),
              'unit',
            )}{' '}
            at cost
            {d.unvaluedUnits > 0 ? `, ${num(d.unvaluedUnits)} without a cost` : ''}
          </div>
        </Card>
        <Card className="kpi">
          <h2>Out of stock</h2>
          <Link to="/catalog?stock=out" className="kpi-value kpi-link tone-red">
            {num(d.skus.outOfStock)}
          </Link>
          <div className="kpi-sub">of {count(d.skus.active, 'active SKU')}</div>
        </Card>
        <Card className="kpi">
          <h2>Low stock</h2>
          <Link to="/catalog?stock=low" className="kpi-value kpi-link tone-amber">
            {num(d.skus.lowStock)}
          </Link>
          <div className="kpi-sub">
            at or below safety stock, or {count(d.skus.lowStockThreshold, 'unit')}
          </div>
        </Card>
        <Card className="kpi">
          <h2>Open orders</h2>
          {/* Open and on hold: each links to its own list, so that the lists add up to the figure. */}
          <div className="kpi-value">{num(d.openOrders.total)}</div>
          <div className="kpi-sub">
            {[...d.openOrders.byStatus]
              .sort((a, b) => Number(b.status === 'open') - Number(a.status === 'open'))
              .map((s) => (
                <Link key={s.status} to={`/orders?status=${s.status}`}>
                  {num(s.count)} {humanize(s.status).toLowerCase()}
                </Link>
              ))
              .flatMap((link, i) => (i === 0 ? [link] : [' · ', link]))}
          </div>
          <div className="kpi-sub">
            {[...sales].map(([c, v]) => `${money(v, c)}`).join(' · ') || 'No'} sales in 90 days
          </div>
        </Card>
      </div>

      <div className="grid-2">
        <Card title="Open orders by status">
          {d.openOrders.total === 0 ? (
            <p className="muted">No open orders.</p>
          ) : (
            <div className="bars">
              <div className="bars-group">Order status</div>
              {d.openOrders.byStatus.map((s) => (
                <Link key={`s-${s.status}`} to={`/orders?status=${s.status}`} className="bar-row">
                  <Chip value={s.status} />
                  <span className="bar-track" aria-hidden="true">
                    <span
                      className="bar-fill"
                      style={{ width: `${(100 * s.count) / Math.max(1, d.openOrders.total)}%` }}
                    />
                  </span>
                  <span className="bar-count">{num(s.count)}</span>
                </Link>
              ))}
              <div className="bars-group">Fulfilment</div>
              {d.openOrders.byFulfillmentStatus.map((s) => (
                <Link
                  key={`f-${s.fulfillmentStatus}`}
                  to={`/orders?fulfillmentStatus=${s.fulfillmentStatus}`}
                  className="bar-row"
                >
                  <Chip value={s.fulfillmentStatus} />
                  <span className="bar-track" aria-hidden="true">
                    <span
                      className="bar-fill"
                      style={{ width: `${(100 * s.count) / Math.max(1, d.openOrders.total)}%` }}
                    />
                  </span>
                  <span className="bar-count">{num(s.count)}</span>
                </Link>
              ))}
            </div>
          )}
        </Card>
        <Card title="Lowest stock">
          {d.lowStockItems.length === 0 ? (
            <p className="muted">Nothing is running low.</p>
          ) : (
            <table className="table compact fixed">
              <colgroup>
                <col style={{ width: '34%' }} />
                <col />
                <col style={{ width: '80px' }} />
                <col style={{ width: '80px' }} />
              </colgroup>
              <thead>
                <tr>
                  <th scope="col">SKU</th>
                  <th scope="col">Name</th>
                  <th scope="col" className="num">
                    Available
                  </th>
                  <th scope="col" className="num">
                    Threshold
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.lowStockItems.map((i) => (
                  <tr key={i.sku}>
                    <td className="ellipsis">
                      <Link to={`/catalog/${encodeURIComponent(i.sku)}`} className="mono" title={i.sku}>
                        {i.sku}
                      </Link>
                    </td>
                    <td className="ellipsis" title={i.name}>
                      {i.name}
                    </td>
                    <td className="num">{num(i.available)}</td>
                    <td className="num muted">{num(i.threshold)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>

      <Card title={`Orders per day · ${num(totalOrders90)} in the last 90 days`}>
        <TimeChart label="Orders per day over the last 90 days" days={orders.days} series={orders.series} />
      </Card>

      <Card
        title="Stock movements"
        actions={
          <>
            <Segmented
              label="Measure"
              value={measure}
              onChange={setMeasure}
              options={[
                { value: 'units', label: 'Units' },
                { value: 'count', label: 'Movements' },
              ]}
            />
            <Segmented
              label="Period"
              value={span}
              onChange={setSpan}
              options={[
                { value: '30', label: '30 days' },
                { value: '90', label: '90 days' },
              ]}
            />
          </>
        }
      >
        {movements.series.length === 0 ? (
          <p className="muted">No stock movements in this period.</p>
        ) : (
          <TimeChart
            label={`Stock movements per day by type, last ${span} days`}
            days={movements.days}
            series={movements.series}
          />
        )}
      </Card>
    </div>
  );
}
