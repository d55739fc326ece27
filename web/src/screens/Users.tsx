/** Users who sign in to the admin (admins only): create, change role, reset password, disable. */
import { useEffect, useState } from 'react';
import { api, get, post } from '../lib/api.js';
import { useSubmit } from '../lib/hooks.js';
import { when } from '../lib/format.js';
import { roleLabels, roles, type Role } from '../lib/permissions.js';
import { invalidate, useQuery } from '../lib/query.js';
import { useSession } from '../lib/session.js';
import type { User } from '../lib/types.js';
import { Dialog } from '../components/Dialog.js';
import { useToast } from '../components/Toasts.js';
import {
  Button,
  Card,
  Chip,
  EmptyState,
  ErrorState,
  FormError,
  Loading,
  PageHeader,
  SelectField,
  TextField,
  fieldMessage,
} from '../components/ui.js';

/** A random password to hand over (the user should change it). */
function randomPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes]
    .map((b) => alphabet[b % alphabet.length])
    .join('')
    .replace(/(.{4})(?=.)/g, '$1-');
}

export function Users() {
  const session = useSession();
  const toast = useToast();
  const q = useQuery('users', (signal) => get<{ items: User[] }>('/users', { signal }).then((r) => r.items), [
    'users',
  ]);
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);

  const change = async (u: User, body: Record<string, unknown>, message: string) => {
    try {
      await api('PATCH', `/users/${u.id}`, body);
      toast(message);
      invalidate(['users']);
    } catch (err) {
      toast(err instanceof Error ? err.message : 'That did not work', 'error');
    }
  };

  return (
    <div>
      <PageHeader
        title="Users"
        subtitle="People who sign in to this admin, and what their role lets them do"
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            New user
          </Button>
        }
      />
      <Card>
        {q.error && !q.data ? (
          <ErrorState error={q.error} onRetry={q.refetch} />
        ) : !q.data ? (
          <Loading rows={4} />
        ) : q.data.length === 0 ? (
          <EmptyState title="No users yet" />
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Users">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {q.data.map((u) => {
                  const self = session.user?.id === u.id;
                  return (
                    <tr key={u.id} className={u.disabledAt ? 'muted-row' : ''}>
                      <td>
                        {u.name}
                        {self ? <span className="muted"> (you)</span> : null}
                      </td>
                      <td>{u.email}</td>
                      <td>
                        <label className="sr-only" htmlFor={`role-${u.id}`}>
                          Role of {u.name}
                        </label>
                        <select
                          id={`role-${u.id}`}
                          value={u.role}
                          disabled={self}
                          onChange={(e) =>
                            void change(
                              u,
                              { role: e.target.value },
                              `${u.name} is now ${roleLabels[e.target.value as Role]}`,
                            )
                          }
                        >
                          {roles.map((r) => (
                            <option key={r} value={r}>
                              {roleLabels[r]}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>{when(u.createdAt)}</td>
                      <td>{u.disabledAt ? <Chip value="disabled" /> : <Chip value="active" />}</td>
                      <td className="row-actions">
                        <Button size="sm" variant="ghost" onClick={() => setResetting(u)}>
                          Reset password
                        </Button>
                        {!self ? (
                          u.disabledAt ? (
                            <Button
                              size="sm"
                              variant="ghost"
                              onClick={() =>
                                void change(u, { disabled: false }, `${u.name} can sign in again`)
                              }
                            >
                              Enable
                            </Button>
                          ) : (
                            <Button
                              size="sm"
                              variant="ghost"
                              onClick={() =>
                                void change(u, { disabled: true }, `${u.name} is disabled and signed out`)
                              }
                            >
                              Disable
                            </Button>
                          )
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <details className="roles-help">
        <summary>What each role may do</summary>
        <ul>
          <li>
            <strong>Admin</strong>: everything, including users and API keys.
          </li>
          <li>
            <strong>Warehouse</strong>: receive, adjust, transfer, quarantine and count stock; edit the
            catalog and locations.
          </li>
          <li>
            <strong>Procurement</strong>: edit the catalog.
          </li>
          <li>
            <strong>Sales</strong> and <strong>Customer service</strong>: place, edit, hold and cancel orders
            (sales also reserves stock).
          </li>
          <li>
            <strong>Fulfilment</strong>: count stock.
          </li>
          <li>
            <strong>Read only</strong>: sees everything, changes nothing.
          </li>
        </ul>
      </details>
      <UserDialog open={creating} onClose={() => setCreating(false)} />
      <ResetDialog user={resetting} onClose={() => setResetting(null)} />
    </div>
  );
}

function UserDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const toast = useToast();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('warehouse');
  const [password, setPassword] = useState('');
  const { busy, error, setError, run } = useSubmit();
  useEffect(() => {
    if (open) {
      setEmail('');
      setName('');
      setRole('warehouse');
      setPassword(randomPassword());
      setError(null);
    }
  }, [open]);
  const submit = async () => {
    await run(async () => {
      const u = await post<User>('/users', { email, name, role, password });
      toast(`Created ${u.email}. Give them their password: it is not shown again.`);
      invalidate(['users']);
      onClose();
    });
  };
  return (
    <Dialog
      open={open}
      title="New user"
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel="Create user"
    >
      <TextField
        label="Email"
        type="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldMessage(error, 'email')}
        required
        autoComplete="off"
      />
      <TextField
        label="Name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={fieldMessage(error, 'name')}
        autoComplete="off"
      />
      <SelectField
        label="Role"
        value={role}
        onChange={(e) => setRole(e.target.value as Role)}
        error={fieldMessage(error, 'role')}
      >
        {roles.map((r) => (
          <option key={r} value={r}>
            {roleLabels[r]}
          </option>
        ))}
      </SelectField>
      <TextField
        label="Initial password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldMessage(error, 'password')}
        hint="At least 10 characters. Copy it now to give to the user."
        autoComplete="new-password"
        spellCheck={false}
      />
      <FormError error={error} shown={['email', 'name', 'role', 'password']} />
    </Dialog>
  );
}

function ResetDialog({ user, onClose }: { user: User | null; onClose: () => void }) {
  const toast = useToast();
  const [password, setPassword] = useState('');
  const { busy, error, setError, run } = useSubmit();
  useEffect(() => {
    if (user) {
      setPassword(randomPassword());
      setError(null);
    }
  }, [user]);
  if (!user) return null;
  const submit = async () => {
    await run(async () => {
      await api('PATCH', `/users/${user.id}`, { password });
      toast(`New password set for ${user.email}; their sessions have ended`);
      onClose();
    });
  };
  return (
    <Dialog
      open
      title={`Reset the password of ${user.name}`}
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel="Set password"
    >
      <p className="muted">They are signed out everywhere and sign in with the new password.</p>
      <TextField
        label="New password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldMessage(error, 'password')}
        autoComplete="new-password"
        spellCheck={false}
      />
      <FormError error={error} shown={['password']} />
    </Dialog>
  );
}
