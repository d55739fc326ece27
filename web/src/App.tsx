/** The shell: sign-in gate, navigation, top bar, routes, shortcuts. */
import { lazy, Suspense, useCallback, useState, type FormEvent, type ReactNode } from 'react';
import { Dialog } from './components/Dialog.js';
import { ErrorState, Kbd, Loading } from './components/ui.js';
import { useLiveStatus } from './lib/live.js';
import { allowed, roleLabels, type Permission, type Role } from './lib/permissions.js';
import { Link, match, navigate, useLocation } from './lib/router.js';
import { useAuth, useSession } from './lib/session.js';
import { goTos, useShortcuts } from './lib/shortcuts.js';
import { SignIn } from './screens/SignIn.js';
import { Catalog } from './screens/Catalog.js';
import { SkuDetail } from './screens/SkuDetail.js';
import { StockScreen } from './screens/Stock.js';
import { Movements } from './screens/Movements.js';
import { Counts, CountDetail } from './screens/Counts.js';
import { Orders } from './screens/Orders.js';
import { OrderDetail } from './screens/OrderDetail.js';
import { Reservations } from './screens/Reservations.js';
import { Users } from './screens/Users.js';
import { ApiKeys } from './screens/ApiKeys.js';

// The dashboard carries the chart library; other screens load without it.
const Dashboard = lazy(() => import('./screens/Dashboard.js').then((m) => ({ default: m.Dashboard })));

type Route = {
  pattern: string;
  render: (params: Record<string, string>) => ReactNode;
  permission?: Permission;
};

const routes: Route[] = [
  { pattern: '/', render: () => <Dashboard /> },
  { pattern: '/catalog', render: () => <Catalog /> },
  { pattern: '/catalog/:sku', render: (p) => <SkuDetail sku={p['sku']!} /> },
  { pattern: '/stock', render: () => <StockScreen /> },
  { pattern: '/movements', render: () => <Movements /> },
  { pattern: '/counts', render: () => <Counts /> },
  { pattern: '/counts/:id', render: (p) => <CountDetail id={p['id']!} /> },
  { pattern: '/orders', render: () => <Orders /> },
  { pattern: '/orders/:id', render: (p) => <OrderDetail id={p['id']!} /> },
  { pattern: '/reservations', render: () => <Reservations /> },
  { pattern: '/users', render: () => <Users />, permission: 'manageAccess' },
  { pattern: '/api-keys', render: () => <ApiKeys />, permission: 'manageAccess' },
];

type NavItem = { path: string; label: string; key: string; permission?: Permission };
const nav: NavItem[] = [
  { path: '/', label: 'Dashboard', key: 'd' },
  { path: '/catalog', label: 'Catalog', key: 'c' },
  { path: '/stock', label: 'Stock', key: 's' },
  { path: '/movements', label: 'Movements', key: 'm' },
  { path: '/counts', label: 'Cycle counts', key: 'n' },
  { path: '/orders', label: 'Orders', key: 'o' },
  { path: '/reservations', label: 'Reservations', key: 'r' },
];
const adminNav: NavItem[] = [
  { path: '/users', label: 'Users', key: 'u', permission: 'manageAccess' },
  { path: '/api-keys', label: 'API keys', key: 'k', permission: 'manageAccess' },
];

function isCurrent(itemPath: string, path: string): boolean {
  return itemPath === '/' ? path === '/' : path === itemPath || path.startsWith(`${itemPath}/`);
}

export function App() {
  const { state, reload } = useAuth();
  if (state.kind === 'loading') return <Loading label="Starting Kibble…" />;
  if (state.kind === 'error')
    return (
      <main className="center-screen">
        <ErrorState error={state.error} onRetry={reload} />
      </main>
    );
  if (state.kind === 'signed-out')
    return <SignIn setupRequired={state.setupRequired} reason={state.reason} />;
  return <Shell />;
}

function LiveIndicator() {
  const status = useLiveStatus();
  const text = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline';
  return (
    <span className={`live live-${status}`} title="Changes appear without reloading while live">
      <span className="live-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function GlobalSearch() {
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v = value.trim();
    if (!v) return;
    if (/^ord_\w+$/i.test(v)) navigate(`/orders/${encodeURIComponent(v)}`);
    // An order's short number as the admin shows it (`#F4AFBB5B`); without `#`, eight digits are
    // as likely a GTIN-8 barcode, so they stay a catalog search.
    else if (v.includes('@') || /^#[0-9a-f]{8}$/i.test(v)) navigate(`/orders?q=${encodeURIComponent(v)}`);
    else navigate(`/catalog?q=${encodeURIComponent(v)}`);
    setValue('');
    (document.activeElement as HTMLElement | null)?.blur();
  };
  return (
    <form className="global-search" role="search" onSubmit={submit}>
      <label htmlFor="global-search" className="sr-only">
        Search SKUs, barcodes, order ids and numbers (#F4AFBB5B) or customer emails
      </label>
      <input
        id="global-search"
        data-global-search
        type="search"
        placeholder="Search SKUs, barcodes, orders…"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        autoComplete="off"
      />
      <Kbd>/</Kbd>
    </form>
  );
}

function Shell() {
  const session = useSession();
  const { signOut } = useAuth();
  const { path } = useLocation();
  const [help, setHelp] = useState(false);
  const role = session.principal.role;
  const allowedPaths = useCallback(
    (p: string) => {
      const r = routes.find((x) => match(x.pattern, p));
      return !r?.permission || allowed(role, r.permission);
    },
    [role],
  );
  useShortcuts({ onHelp: useCallback(() => setHelp(true), []), allowedPaths });

  let content: ReactNode = null;
  for (const r of routes) {
    const params = match(r.pattern, path);
    if (!params) continue;
    content =
      r.permission && !session.can(r.permission) ? (
        <div className="state state-empty" role="alert">
          <h1>Not available to your role</h1>
          <p>
            This screen needs a role your account ({roleLabels[role as Role] ?? role}) does not have. Ask an
            administrator.
          </p>
        </div>
      ) : (
        r.render(params)
      );
    break;
  }
  if (content === null) {
    content = (
      <div className="state state-empty">
        <h1>Page not found</h1>
        <p>
          There is nothing at <code>{path}</code>. <Link to="/">Go to the dashboard</Link>.
        </p>
      </div>
    );
  }

  const navLink = (item: NavItem) => (
    <li key={item.path}>
      <Link to={item.path} aria-current={isCurrent(item.path, path) ? 'page' : undefined}>
        <span>{item.label}</span>
        <span className="nav-key" aria-hidden="true">
          g {item.key}
        </span>
      </Link>
    </li>
  );
  const admin = adminNav.filter((i) => !i.permission || session.can(i.permission));

  return (
    <div className="app">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <aside className="sidebar">
        <Link to="/" className="brand" aria-label="Kibble dashboard">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>Kibble</span>
        </Link>
        <nav aria-label="Main">
          <ul>{nav.map(navLink)}</ul>
          {admin.length > 0 ? (
            <>
              <div className="nav-section">Admin</div>
              <ul>{admin.map(navLink)}</ul>
            </>
          ) : null}
        </nav>
        <button type="button" className="shortcuts-link" onClick={() => setHelp(true)}>
          Keyboard shortcuts <Kbd>?</Kbd>
        </button>
      </aside>
      <div className="main">
        <header className="topbar">
          <GlobalSearch />
          <div className="topbar-right">
            <LiveIndicator />
            <span className="whoami">
              <span className="whoami-name">{session.user?.name ?? session.principal.name}</span>
              <span className="whoami-role">{roleLabels[role as Role] ?? role}</span>
            </span>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </header>
        <main id="content" tabIndex={-1}>
          <Suspense fallback={<Loading />}>{content}</Suspense>
        </main>
      </div>
      <Dialog open={help} title="Keyboard shortcuts" onClose={() => setHelp(false)}>
        <table className="shortcuts">
          <tbody>
            <tr>
              <td>
                <Kbd>/</Kbd>
              </td>
              <td>Search on this page</td>
            </tr>
            <tr>
              <td>
                <Kbd>?</Kbd>
              </td>
              <td>This list</td>
            </tr>
            <tr>
              <td>
                <Kbd>↑</Kbd> <Kbd>↓</Kbd> or <Kbd>j</Kbd> <Kbd>k</Kbd>, <Kbd>Enter</Kbd>
              </td>
              <td>Move through a focused list, open the row</td>
            </tr>
            <tr>
              <td>
                <Kbd>Esc</Kbd>
              </td>
              <td>Close a dialog</td>
            </tr>
            {goTos
              .filter((g) => allowedPaths(g.path))
              .map((g) => (
                <tr key={g.key}>
                  <td>
                    <Kbd>g</Kbd> <Kbd>{g.key}</Kbd>
                  </td>
                  <td>Go to {g.label}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </Dialog>
    </div>
  );
}
