/** Add an SSH host: where it is, how to log in, and with which privileges. */
import { Button, Field, Input, Modal, RadioButtonGroup, Stack } from '@grafana/ui';
import React, { useState } from 'react';
import type { NewHost } from '../../api/types';

interface Form {
  name: string;
  address: string;
  port: string;
  user: string;
  auth: NewHost['auth']['type'];
  privateKeyFile: string;
  passphraseFile: string;
  agentSocket: string;
  privilege: NewHost['privilege'];
  labels: string;
}

const EMPTY: Form = {
  name: '',
  address: '',
  port: '22',
  user: 'root',
  auth: 'key',
  privateKeyFile: '',
  passphraseFile: '',
  agentSocket: '',
  privilege: 'root',
  labels: '',
};

/** "env=prod, team=web" → { env: 'prod', team: 'web' }; a string says what is wrong. */
export function parseLabels(text: string): Record<string, string> | string {
  const labels: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const [key, ...rest] = part.split('=');
    if (!key || rest.length === 0 || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key.trim()))
      return `"${part.trim()}" is not key=value`;
    labels[key.trim()] = rest.join('=').trim();
  }
  return labels;
}

export function hostFormProblem(f: Form): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(f.name))
    return 'A name is 1–63 letters, digits, ".", "_" or "-"';
  if (f.address.trim() === '') return 'The address is needed';
  if (!/^\d+$/.test(f.port) || Number(f.port) < 1 || Number(f.port) > 65535) return 'A port is 1–65535';
  if (f.user.trim() === '') return 'The SSH user is needed';
  if (f.auth === 'key' && !f.privateKeyFile.startsWith('/'))
    return 'The private key file is an absolute path on the exporter';
  if (f.auth === 'agent' && !f.agentSocket.startsWith('/'))
    return 'The agent socket is an absolute path on the exporter';
  const labels = parseLabels(f.labels);
  return typeof labels === 'string' ? labels : undefined;
}

interface Props {
  onAdd(host: NewHost): void;
  onDismiss(): void;
}

export function AddHostDialog({ onAdd, onDismiss }: Props) {
  const [form, setForm] = useState<Form>(EMPTY);
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));
  const problem = hostFormProblem(form);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (problem) return;
    const labels = parseLabels(form.labels) as Record<string, string>;
    onAdd({
      name: form.name,
      address: form.address.trim(),
      port: Number(form.port),
      user: form.user.trim(),
      auth:
        form.auth === 'key'
          ? {
              type: 'key',
              privateKeyFile: form.privateKeyFile,
              ...(form.passphraseFile ? { passphraseFile: form.passphraseFile } : {}),
            }
          : { type: 'agent', socket: form.agentSocket },
      privilege: form.privilege,
      labels,
    });
  };
  return (
    <Modal title="Add an SSH host" isOpen onDismiss={onDismiss}>
      <form onSubmit={submit} data-testid="add-host">
        <Stack gap={2} wrap="wrap">
          <Field label="Name" description="As pages, metrics (instance) and alerts call it">
            <Input
              id="host-name"
              value={form.name}
              width={20}
              onChange={(e) => set({ name: e.currentTarget.value })}
            />
          </Field>
          <Field label="Address">
            <Input
              id="host-address"
              value={form.address}
              width={24}
              onChange={(e) => set({ address: e.currentTarget.value })}
            />
          </Field>
          <Field label="Port">
            <Input
              id="host-port"
              value={form.port}
              width={8}
              onChange={(e) => set({ port: e.currentTarget.value })}
            />
          </Field>
          <Field label="User">
            <Input
              id="host-user"
              value={form.user}
              width={14}
              onChange={(e) => set({ user: e.currentTarget.value })}
            />
          </Field>
        </Stack>
        <Field label="Log in with">
          <RadioButtonGroup<Form['auth']>
            options={[
              { label: 'Private key file', value: 'key' },
              { label: 'SSH agent', value: 'agent' },
            ]}
            value={form.auth}
            onChange={(auth) => set({ auth })}
          />
        </Field>
        {form.auth === 'key' ? (
          <Stack gap={2} wrap="wrap">
            <Field label="Private key file" description="Path on the exporter's machine">
              <Input
                id="host-key"
                value={form.privateKeyFile}
                width={32}
                onChange={(e) => set({ privateKeyFile: e.currentTarget.value })}
              />
            </Field>
            <Field label="Passphrase file (optional)">
              <Input
                id="host-passphrase"
                value={form.passphraseFile}
                width={32}
                onChange={(e) => set({ passphraseFile: e.currentTarget.value })}
              />
            </Field>
          </Stack>
        ) : (
          <Field label="Agent socket" description="Path on the exporter's machine">
            <Input
              id="host-agent"
              value={form.agentSocket}
              width={32}
              onChange={(e) => set({ agentSocket: e.currentTarget.value })}
            />
          </Field>
        )}
        <Field
          label="Privileges"
          description="root logs in as root; sudo runs the commands that need it with sudo -n"
        >
          <RadioButtonGroup<Form['privilege']>
            options={[
              { label: 'sudo -n', value: 'sudo' },
              { label: 'root', value: 'root' },
            ]}
            value={form.privilege}
            onChange={(privilege) => set({ privilege })}
          />
        </Field>
        <Field label="Labels" description="key=value, comma-separated; added to the host's metrics">
          <Input
            id="host-labels"
            value={form.labels}
            placeholder="env=prod, team=web"
            onChange={(e) => set({ labels: e.currentTarget.value })}
          />
        </Field>
        {problem && form.name !== '' && <div role="alert">{problem}</div>}
        <Modal.ButtonRow>
          <Button variant="secondary" fill="outline" type="button" onClick={onDismiss}>
            Cancel
          </Button>
          <Button type="submit" disabled={problem !== undefined}>
            Add and fetch its key
          </Button>
        </Modal.ButtonRow>
      </form>
    </Modal>
  );
}
