/** Create or change a job; the schedule field previews its next runs as it is typed. */
import { Alert, Button, Field, Input, Modal, RadioButtonGroup, Stack, Switch, TextArea } from '@grafana/ui';
import React, { useState } from 'react';
import type { JobSpec } from '../../api/types';
import { CronPreview } from './CronPreview';
import { formProblem, specOf, type JobForm } from './jobForm';

interface Props {
  initial: JobForm;
  /** Editing an existing job: its name cannot change. */
  editing: boolean;
  onSave(spec: JobSpec): void;
  onDismiss(): void;
}

export function JobEditor({ initial, editing, onSave, onDismiss }: Props) {
  const [form, setForm] = useState(initial);
  const [tried, setTried] = useState(false);
  const set = (patch: Partial<JobForm>) => setForm((f) => ({ ...f, ...patch }));
  const problem = formProblem(form);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (!problem) onSave(specOf(form));
  };
  return (
    <Modal title={editing ? `Edit job ${initial.name}` : 'New job'} isOpen onDismiss={onDismiss}>
      <form onSubmit={submit} data-testid="job-editor">
        <Stack gap={2} wrap="wrap">
          <Field label="Name" disabled={editing}>
            <Input
              id="job-name"
              value={form.name}
              width={24}
              onChange={(e) => set({ name: e.currentTarget.value })}
            />
          </Field>
          <Field label="Host">
            <Input
              id="job-host"
              value={form.host}
              width={20}
              onChange={(e) => set({ host: e.currentTarget.value })}
            />
          </Field>
        </Stack>
        <Field label="Description">
          <Input
            id="job-description"
            value={form.description}
            onChange={(e) => set({ description: e.currentTarget.value })}
          />
        </Field>
        <Stack gap={2} wrap="wrap">
          <Field label="Schedule" description="cron: 5 fields, or 6 with seconds first; @daily…">
            <Input
              id="job-schedule"
              value={form.schedule}
              width={28}
              onChange={(e) => set({ schedule: e.currentTarget.value })}
            />
          </Field>
          <Field label="Time zone" description="IANA name; the exporter's when empty">
            <Input
              id="job-timezone"
              value={form.timezone}
              width={24}
              placeholder="Europe/Paris"
              onChange={(e) => set({ timezone: e.currentTarget.value })}
            />
          </Field>
        </Stack>
        <CronPreview schedule={form.schedule} timezone={form.timezone} />
        <Field label="Command">
          <RadioButtonGroup<JobForm['kind']>
            options={[
              { label: 'Program and arguments', value: 'argv' },
              { label: 'Shell script', value: 'shell' },
            ]}
            value={form.kind}
            onChange={(kind) => set({ kind })}
          />
        </Field>
        {form.kind === 'argv' ? (
          <Field
            label="Arguments"
            description="One per line, the program first. No shell: nothing is expanded."
          >
            <TextArea
              id="job-argv"
              rows={3}
              value={form.argv}
              placeholder={'/usr/bin/find\n/tmp\n-mtime\n+7\n-delete'}
              onChange={(e) => set({ argv: e.currentTarget.value })}
            />
          </Field>
        ) : (
          <>
            <Alert severity="warning" title="A shell script">
              Runs as <code>/bin/sh -c</code> with the exporter&apos;s rights: admin-only, and recorded in the
              audit log.
            </Alert>
            <Field label="Script">
              <TextArea
                id="job-shell"
                rows={4}
                value={form.shell}
                onChange={(e) => set({ shell: e.currentTarget.value })}
              />
            </Field>
          </>
        )}
        <Stack gap={2} wrap="wrap">
          <Field label="Working directory">
            <Input
              id="job-cwd"
              value={form.cwd}
              width={24}
              placeholder="/"
              onChange={(e) => set({ cwd: e.currentTarget.value })}
            />
          </Field>
          <Field label="Timeout (s)">
            <Input
              id="job-timeout"
              value={form.timeoutSeconds}
              width={12}
              onChange={(e) => set({ timeoutSeconds: e.currentTarget.value })}
            />
          </Field>
          <Field label="If still running when due">
            <RadioButtonGroup<JobForm['overlap']>
              options={[
                { label: 'Skip', value: 'skip' },
                { label: 'Run both', value: 'allow' },
              ]}
              value={form.overlap}
              onChange={(overlap) => set({ overlap })}
            />
          </Field>
          <Field label="Enabled">
            <Switch value={form.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
          </Field>
        </Stack>
        <Field label="Environment" description="KEY=value, one per line">
          <TextArea
            id="job-env"
            rows={2}
            value={form.env}
            onChange={(e) => set({ env: e.currentTarget.value })}
          />
        </Field>
        {tried && problem && <Alert severity="error" title={problem} />}
        <Modal.ButtonRow>
          <Button variant="secondary" fill="outline" type="button" onClick={onDismiss}>
            Cancel
          </Button>
          <Button type="submit">{editing ? 'Save job' : 'Create job'}</Button>
        </Modal.ButtonRow>
      </form>
    </Modal>
  );
}
