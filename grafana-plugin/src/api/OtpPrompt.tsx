/**
 * The one-time code dialog: six digits from the user's authenticator app, or one of their
 * recovery codes (for a lost phone). A wrong or spent code brings the dialog back with the
 * exporter's reason, so the person knows what to do differently.
 */
import { Alert, Button, Field, Input, Modal } from '@grafana/ui';
import React, { useState } from 'react';
import type { CodeRequest } from './client';

interface Props {
  request: CodeRequest;
  onSubmit(code: string): void;
  onCancel(): void;
}

const TOTP = /^\d{6}$/;
const RECOVERY = /^[a-z2-7]{5}-[a-z2-7]{5}$/i;

/** A TOTP code as typed (spaces dropped), or a recovery code in lower case. */
export function normaliseCode(text: string): string {
  const compact = text.replace(/\s/g, '');
  return RECOVERY.test(compact) ? compact.toLowerCase() : compact;
}

export function isCode(text: string): boolean {
  return TOTP.test(text) || RECOVERY.test(text);
}

/** "5 minutes", "90 seconds", "1 hour". */
export function describeSeconds(seconds: number): string {
  const unit = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return unit(seconds / 60, 'minute');
  return unit(seconds, 'second');
}

export function OtpPrompt({ request, onSubmit, onCancel }: Props) {
  const [code, setCode] = useState('');
  const [touched, setTouched] = useState(false);
  const valid = isCode(code);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (valid) onSubmit(code);
  };
  const elevation = request.elevationSeconds ?? 0;
  return (
    <Modal title="One-time code" isOpen onDismiss={onCancel}>
      <form onSubmit={submit} data-testid="otp-prompt">
        <p>
          <strong>{request.action}</strong> needs a second factor. Enter the current code from your
          authenticator app (or one of your recovery codes).
        </p>
        {elevation > 0 && (
          <p data-testid="otp-elevation-note">
            A valid code lets you act without another one for {describeSeconds(elevation)}.
          </p>
        )}
        {request.hint && (
          <Alert
            severity="warning"
            title={request.retry === 'spent' ? 'Code already used' : 'That code was not accepted'}
            data-testid="otp-hint"
          >
            {request.hint}
          </Alert>
        )}
        <Field
          label="Code"
          invalid={touched && !valid}
          error={touched && !valid ? 'A code is 6 digits (a recovery code: xxxxx-xxxxx)' : undefined}
        >
          <Input
            id="hyperion-otp-code"
            value={code}
            autoFocus
            autoComplete="one-time-code"
            maxLength={12}
            placeholder="123456"
            onChange={(e) => setCode(normaliseCode(e.currentTarget.value))}
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
