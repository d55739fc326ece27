/**
 * Who is signed in. On start the admin asks `/session/status` (public, never fails), then loads
 * the session (user, role, CSRF token). A 401 from any request later means the session ended:
 * the admin returns to the sign-in screen and keeps the page the user was on.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, get, onUnauthorized, setCsrfToken } from './api.js';
import { allowed, type Permission } from './permissions.js';
import { clearQueries } from './query.js';
import { startLive, stopLive } from './live.js';
import type { Session, SessionStatus } from './types.js';

export type AuthState =
  | { kind: 'loading' }
  | { kind: 'error'; error: Error }
  | { kind: 'signed-out'; setupRequired: boolean; reason?: string }
  | { kind: 'signed-in'; session: Session };

type Auth = {
  state: AuthState;
  /** After a successful POST /session. */
  signedIn: (session: Session) => void;
  signOut: () => Promise<void>;
  reload: () => void;
};

const AuthContext = createContext<Auth | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ kind: 'loading' });

  const load = useCallback(async () => {
    try {
      const status = await get<SessionStatus>('/session/status');
      if (!status.signedIn) {
        setState({ kind: 'signed-out', setupRequired: status.setupRequired });
        return;
      }
      const session = await get<Session>('/session');
      setCsrfToken(session.csrfToken);
      setState({ kind: 'signed-in', session });
    } catch (error) {
      setState({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(
    () =>
      onUnauthorized(() => {
        setCsrfToken(null);
        stopLive();
        clearQueries();
        setState({
          kind: 'signed-out',
          setupRequired: false,
          reason: 'Your session has ended. Please sign in again.',
        });
      }),
    [],
  );

  useEffect(() => {
    if (state.kind === 'signed-in') startLive();
    else stopLive();
  }, [state.kind]);

  const signedIn = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    clearQueries();
    setState({ kind: 'signed-in', session });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('DELETE', '/session');
    } finally {
      setCsrfToken(null);
      stopLive();
      clearQueries();
      setState({ kind: 'signed-out', setupRequired: false });
    }
  }, []);

  return (
    <AuthContext.Provider value={{ state, signedIn, signOut, reload: () => void load() }}>
      {children}
    </AuthContext.Provider>
  );
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside SessionProvider');
  return auth;
}

/** The signed-in session; only for screens behind sign-in. */
export function useSession(): Session & { can: (p: Permission) => boolean } {
  const { state } = useAuth();
  if (state.kind !== 'signed-in') throw new Error('useSession while signed out');
  const role = state.session.principal.role;
  return { ...state.session, can: (p) => allowed(role, p) };
}
