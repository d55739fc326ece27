/** API keys for integrations (admins only): create (the secret is shown once) and revoke. */
import { useEffect, useState } from 'react';
import { api, get, post } from '../lib/api.js';
import { useSubmit } from '../lib/hooks.js';
import { when } from '../lib/format.js';
import { roleLabels, roles, type Role } from '../lib/permissions.js';
import { invalidate, useQuery } from '../lib/query.js';
import type { ApiKey, CreatedApiKey } from '../lib/types.js';
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

export function ApiKeys() {
  const toast = useToast();
  const q = useQuery(
    'api-keys',
    (signal) => get<{ items: ApiKey[] }>('/api-keys', { signal }).then((r) => r.items),
    ['api-keys'],
  );
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [busy, setBusy] = useState(false);
  const revoke = async () => {
    if (!revoking) return;
    setBusy(true);
    try {
      await api('DELETE', `/api-keys/${revoking.id}`);
      toast(`Revoked “${revoking.name}”`);
      invalidate(['api-keys']);
      setRevoking(null);
    } catch (err) {
      toast(err instanceof Error ? err.message : 'That did not work', 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <PageHeader
        title="API keys"
        subtitle="For shops, marketplaces and other systems that call the Kibble API"
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            New API key
          </Button>
        }
      />
      <Card>
        {q.error && !q.data ? (
          <ErrorState error={q.error} onRetry={q.refetch} />
        ) : !q.data ? (
          <Loading rows={4} />
        ) : q.data.length === 0 ? (
          <EmptyState title="No API keys" />
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="API keys">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {q.data.map((k) => (
                  <tr key={k.id} className={k.revokedAt ? 'muted-row' : ''}>
                    <td>{k.name}</td>
                    <td className="mono">{k.prefix}…</td>
                    <td>{roleLabels[k.role as Role] ?? k.role}</td>
                    <td>{when(k.createdAt)}</td>
                    <td>
                      {k.revokedAt ? (
                        <Chip value="revoked" label={`Revoked ${when(k.revokedAt)}`} tone="grey" />
                      ) : (
                        <Chip value="active" />
                      )}
                    </td>
                    <td className="row-actions">
                      {!k.revokedAt ? (
                        <Button size="sm" variant="ghost" onClick={() => setRevoking(k)}>
                          Revoke
                        </Button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <NewKeyDialog open={creating} onClose={() => setCreating(false)} />
      <Dialog
        open={revoking !== null}
        title="Revoke this key?"
        onClose={() => setRevoking(null)}
        onSubmit={() => void revoke()}
        submitLabel="Revoke key"
        submitVariant="danger"
        busy={busy}
      >
        <p>
          Anything using <strong>{revoking?.name}</strong> ({revoking?.prefix}…) stops working within seconds.
          This cannot be undone.
        </p>
      </Dialog>
    </div>
  );
}

function NewKeyDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('sales');
  const { busy, error, setError, run } = useSubmit();
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (open) {
      setName('');
      setRole('sales');
      setError(null);
      setCreated(null);
      setCopied(false);
    }
  }, [open]);
  const submit = async () => {
    await run(async () => {
      setCreated(await post<CreatedApiKey>('/api-keys', { name, role }));
      invalidate(['api-keys']);
    });
  };
  if (created) {
    return (
      <Dialog open={open} title="Copy the key now" onClose={onClose}>
        <p>This is the only time the key is shown. Store it in the integration's settings.</p>
        <div className="secret">
          <code data-testid="new-api-key">{created.key}</code>
          <Button
            size="sm"
            onClick={() => {
              void navigator.clipboard?.writeText(created.key).then(() => setCopied(true));
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog
      open={open}
      title="New API key"
      onClose={onClose}
      onSubmit={() => void submit()}
      busy={busy}
      submitLabel="Create key"
    >
      <TextField
        label="Name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={fieldMessage(error, 'name')}
        placeholder="e.g. Shopify store"
        required
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
      <FormError error={error} shown={['name', 'role']} />
    </Dialog>
  );
}
