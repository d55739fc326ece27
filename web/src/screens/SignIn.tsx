/**
 * Sign in with email and password. On a fresh install (no user yet) it offers first-run setup:
 * the admin API key printed when Kibble first started creates the first admin user.
 */
import { useState, type FormEvent } from 'react';
import { api, post } from '../lib/api.js';
import { useAuth } from '../lib/session.js';
import type { Session, User } from '../lib/types.js';
import { Button, FormError, TextField, fieldMessage } from '../components/ui.js';

export function SignIn({ setupRequired, reason }: { setupRequired: boolean; reason?: string | undefined }) {
  const [mode, setMode] = useState<'signin' | 'setup'>(setupRequired ? 'setup' : 'signin');
  return (
    <main className="signin">
      <div className="signin-card">
        <div className="signin-brand">
          <img src="/favicon.svg" alt="" width="36" height="36" />
          <div>
            <h1>Kibble</h1>
            <p>Inventory and orders</p>
          </div>
        </div>
        {mode === 'signin' ? (
          <SignInForm reason={reason} onSetup={() => setMode('setup')} />
        ) : (
          <SetupForm onBack={() => setMode('signin')} />
        )}
      </div>
    </main>
  );
}

function SignInForm({ reason, onSetup }: { reason?: string | undefined; onSetup: () => void }) {
  const { signedIn } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      signedIn(await post<Session>('/session', { email, password }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="signin-title">
      <h2 id="signin-title">Sign in</h2>
      {reason ? (
        <div className="alert alert-info" role="status">
          {reason}
        </div>
      ) : null}
      <TextField
        label="Email"
        type="email"
        name="email"
        autoComplete="username"
        autoFocus
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldMessage(error, 'email')}
      />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldMessage(error, 'password')}
      />
      <FormError error={error} shown={['email', 'password']} />
      <Button type="submit" variant="primary" busy={busy} className="btn-block">
        Sign in
      </Button>
      <p className="signin-foot">
        First time here?{' '}
        <button type="button" className="link-button" onClick={onSetup}>
          Set up with the admin API key
        </button>
      </p>
    </form>
  );
}

function SetupForm({ onBack }: { onBack: () => void }) {
  const { signedIn } = useAuth();
  const [apiKey, setApiKey] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [keyError, setKeyError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setKeyError(undefined);
    try {
      await api<User>('POST', '/users', { email, name, role: 'admin', password }, { apiKey: apiKey.trim() });
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 401 || status === 403) setKeyError('This is not an admin API key.');
      else setError(err);
      setBusy(false);
      return;
    }
    try {
      signedIn(await post<Session>('/session', { email, password }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="setup-title">
      <h2 id="setup-title">Create the first admin</h2>
      <p className="muted">
        Paste the admin API key Kibble printed when it first started (or create one with{' '}
        <code>kibble keys create --role admin</code>). You can also run{' '}
        <code>kibble users create --email you@example.com --role admin</code>.
      </p>
      <TextField
        label="Admin API key"
        name="apiKey"
        autoComplete="off"
        spellCheck={false}
        required
        value={apiKey}
        onChange={(e) => setApiKey(e.target.value)}
        error={keyError}
        placeholder="kbl_…"
      />
      <TextField
        label="Your name"
        name="name"
        autoComplete="name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={fieldMessage(error, 'name')}
      />
      <TextField
        label="Email"
        type="email"
        name="email"
        autoComplete="username"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldMessage(error, 'email')}
      />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="new-password"
        required
        hint="At least 10 characters"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldMessage(error, 'password')}
      />
      <FormError error={error} shown={['email', 'password', 'name']} />
      <Button type="submit" variant="primary" busy={busy} className="btn-block">
        Create admin and sign in
      </Button>
      <p className="signin-foot">
        <button type="button" className="link-button" onClick={onBack}>
          Back to sign in
        </button>
      </p>
    </form>
  );
}
