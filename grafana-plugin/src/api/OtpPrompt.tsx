/** The one-time code dialog: six digits from the user's authenticator app, nothing else. */
import { Alert, Button, Field, Input, Modal } from '@grafana/ui';
import React, { useState } from 'react';

interface Props {
  action: string;
  /** Why the code is asked for again, shown above the field. */
  hint?: string;
  onSubmit(code: string): void;
  onCancel(): void;
}

const CODE = /^\d{6}$/;

export function OtpPrompt({ action, hint, onSubmit, onCancel }: Props) {
  const [code, setCode] = useState('');
  const [touched, setTouched] = useState(false);
  const valid = CODE.test(code);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (valid) onSubmit(code);
  };
  return (
    <Modal title="One-time code" isOpen onDismiss={onCancel}>
      <form onSubmit={submit} data-testid="otp-prompt">
        <p>
          <strong>{action}</strong> needs a second factor. Enter the current code from your authenticator app.
        </p>
        {hint && (
          <Alert severity="warning" title="Code already used" data-testid="otp-hint">
            {hint}
          </Alert>
        )}
        <Field
          label="Code"
          invalid={touched && !valid}
          error={touched && !valid ? 'A code is 6 digits' : undefined}
        >
          <Input
            id="hyperion-otp-code"
            value={code}
            autoFocus
            autoComplete="one-time-code"
            inputMode="numeric"
            maxLength={6}
            placeholder="123456"
            onChange={(e) => setCode(e.currentTarget.value.replace(/\s/g, ''))}
          />
        </Field>
        <Modal.ButtonRow>
          <Button variant="secondary" fill="outline" onClick={onCancel} type="button">
            Cancel
          </Button>
          <Button type="submit" disabled={touched && !valid}>
            Confirm
          </Button>
        </Modal.ButtonRow>
      </form>
    </Modal>
  );
}
